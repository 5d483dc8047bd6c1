import type * as Y from 'yjs';
import { contactEntry, contactEntryOrNone } from './contacts.ts';
import { appointmentInterval, listAppointments, type Appointment, type ScheduleDoc } from './schedule.ts';

/**
 * A patient's appointments, past and upcoming (PATIENT-APPT-1). Appointments live in month docs; to find a
 * patient's without opening every month, the patient's contact entry notes each month they were booked in
 * (`bookedIn:<yyyy-mm>`, set by whoever books or moves an appointment there). A merged record's months count for
 * the kept patient (`recordIds`). A month noted whose appointments were all cancelled or moved away only costs a
 * look.
 */

const BOOKED_IN = 'bookedIn:';
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Notes on the patient's record that they have an appointment in `month` (a no-op when noted before). */
export function noteBookingMonth(contacts: Y.Doc, patientId: string, month: string): void {
	if (!MONTH.test(month)) throw new Error(`not a month: ${month}`);
	const entry = contactEntry(contacts, patientId);
	if (entry.get(BOOKED_IN + month) !== true) entry.set(BOOKED_IN + month, true);
}

/** The months any of these records was booked in, in order. */
export function bookingMonths(contacts: Y.Doc, recordIds: readonly string[]): string[] {
	const months = new Set<string>();
	for (const id of recordIds) {
		const entry = contactEntryOrNone(contacts, id) as Y.Map<unknown> | undefined;
		if (!entry || typeof entry.keys !== 'function') continue;
		for (const key of entry.keys()) {
			const month = key.slice(BOOKED_IN.length);
			if (key.startsWith(BOOKED_IN) && MONTH.test(month)) months.add(month);
		}
	}
	return [...months].sort();
}

export interface PatientAppointments {
	/** Not yet begun, the soonest first. */
	upcoming: Appointment[];
	/** Begun or over, the latest first. */
	past: Appointment[];
}

/** The appointments of the patient's records found in `months`, split at `now` in the clinic's zone. */
export function patientAppointments(
	months: Iterable<ScheduleDoc>,
	recordIds: readonly string[],
	now: Date,
	timeZone: string
): PatientAppointments {
	const ids = new Set(recordIds);
	const upcoming: Appointment[] = [];
	const past: Appointment[] = [];
	for (const month of months) {
		for (const a of listAppointments(month)) {
			if (!a.patientId || !ids.has(a.patientId)) continue;
			(appointmentInterval(a, timeZone).start > now ? upcoming : past).push(a);
		}
	}
	upcoming.sort((a, b) => a.start.localeCompare(b.start));
	past.sort((a, b) => b.start.localeCompare(a.start));
	return { upcoming, past };
}
