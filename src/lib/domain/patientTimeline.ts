import type { ThreadSummary } from './inbox.ts';
import type { PatientAppointments } from './patientAppointments.ts';
import { appointmentInterval, type Appointment } from './schedule.ts';
import type { NoteMeta } from './notes.ts';
import type { ConsentEvent, MergeRecord, Patient } from './patients.ts';

/** One line of a patient's timeline, newest first on screen. */
export type TimelineItem =
	| { kind: 'thread'; at: string; thread: ThreadSummary }
	| { kind: 'consent'; at: string; consent: ConsentEvent }
	| { kind: 'merge'; at: string; merge: MergeRecord }
	| { kind: 'note'; at: string; note: NoteMeta; clinical: boolean }
	| { kind: 'appointment'; at: string; appointment: Appointment; upcoming: boolean }
	| { kind: 'created'; at: string };

/**
 * Everything about the patient in time order, newest first: their conversations (by last activity), consent
 * changes, merges, notes (clinical ones only where the person may read them) and when the record was made.
 * `threads` are the threads of the patient's record ids (`recordIds`), as the device's query table holds them.
 * Appointments (`patientAppointments`) are placed at their start, in the clinic's zone (`timeZone`).
 */
export function patientTimeline(
	patient: Patient,
	threads: readonly ThreadSummary[],
	notes: { clinical: readonly NoteMeta[]; administrative: readonly NoteMeta[] } = { clinical: [], administrative: [] },
	appointments: { list: PatientAppointments; timeZone: string } = { list: { upcoming: [], past: [] }, timeZone: 'UTC' }
): TimelineItem[] {
	const at = (a: Appointment) => appointmentInterval(a, appointments.timeZone).start.toISOString();
	const items: TimelineItem[] = [
		...appointments.list.upcoming.map((a): TimelineItem => ({ kind: 'appointment', at: at(a), appointment: a, upcoming: true })),
		...appointments.list.past.map((a): TimelineItem => ({ kind: 'appointment', at: at(a), appointment: a, upcoming: false })),
		...notes.clinical.map((note): TimelineItem => ({ kind: 'note', at: note.createdAt, note, clinical: true })),
		...notes.administrative.map((note): TimelineItem => ({ kind: 'note', at: note.createdAt, note, clinical: false })),
		...threads.map((thread): TimelineItem => ({ kind: 'thread', at: thread.lastMessageAt, thread })),
		...patient.consents.map((consent): TimelineItem => ({ kind: 'consent', at: consent.at, consent })),
		...patient.merges.map((merge): TimelineItem => ({ kind: 'merge', at: merge.at, merge })),
		{ kind: 'created', at: patient.createdAt }
	];
	return items.sort((a, b) => b.at.localeCompare(a.at));
}
