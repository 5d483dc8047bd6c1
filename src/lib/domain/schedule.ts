import * as Y from 'yjs';
import { z } from 'zod';
import { newId } from './ids.ts';

/**
 * The `<clinic>/schedule/<yyyy-mm>` doc: the appointments that start in that month, each a Y.Map under its id
 * (field-level merges: one device moving an appointment while another renames it keeps both edits).
 * Times are wall-clock times of the clinic (`YYYY-MM-DDTHH:mm`), which is what staff book and read.
 * These functions are the only code that touches the doc's structure.
 */
export interface Appointment {
	id: string;
	practitionerId: string;
	/** Clinic wall-clock start, `YYYY-MM-DDTHH:mm`. */
	start: string;
	durationMinutes: number;
	patientName: string;
	note: string;
}

const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

const wallTime = z.string().refine((v) => {
	const m = WALL_TIME.exec(v);
	if (!m) return false;
	const [, y, mo, d, h, mi] = m.map(Number);
	const date = new Date(Date.UTC(y, mo - 1, d));
	return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60;
}, 'must be a time like 2026-11-25T10:30');

export const appointmentInput = z.object({
	practitionerId: z.string().min(1).max(64),
	start: wallTime,
	durationMinutes: z
		.number()
		.int()
		.min(5)
		.max(12 * 60),
	patientName: z.string().trim().min(1).max(200),
	note: z.string().max(2000).default('')
});

export const appointmentChange = appointmentInput.partial();

export type AppointmentInput = z.input<typeof appointmentInput>;
export type AppointmentChange = z.input<typeof appointmentChange>;

export class ScheduleError extends Error {
	override name = 'ScheduleError';
}

/** The schedule doc an appointment starting at `start` belongs to: `yyyy-mm`. */
export function monthOf(start: string): string {
	return start.slice(0, 7);
}

const appointments = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('appointments');

/** Adds an appointment to the schedule doc of `month`; its start must fall in that month. */
export function addAppointment(doc: Y.Doc, month: string, input: AppointmentInput): Appointment {
	const a: Appointment = { id: newId(), ...appointmentInput.parse(input) };
	if (monthOf(a.start) !== month) throw new ScheduleError(`the appointment starts outside ${month}`);
	doc.transact(() => {
		const map = new Y.Map<unknown>();
		for (const [k, v] of Object.entries(a)) map.set(k, v);
		appointments(doc).set(a.id, map);
	});
	return a;
}

/** Changes some fields (a move is a change of start or practitioner); the start stays in the doc's month. */
export function changeAppointment(doc: Y.Doc, month: string, id: string, change: AppointmentChange): Appointment {
	const parsed = appointmentChange.parse(change);
	const map = appointments(doc).get(id);
	if (!map) throw new ScheduleError('no such appointment');
	if (parsed.start !== undefined && monthOf(parsed.start) !== month) {
		throw new ScheduleError(`the appointment would start outside ${month}`);
	}
	doc.transact(() => {
		for (const [k, v] of Object.entries(parsed)) if (v !== undefined && map.get(k) !== v) map.set(k, v);
	});
	return readAppointment(id, map)!;
}

export function deleteAppointment(doc: Y.Doc, id: string): void {
	if (!appointments(doc).has(id)) throw new ScheduleError('no such appointment');
	appointments(doc).delete(id);
}

/** Appointments, optionally of one day (`YYYY-MM-DD`), by start time then practitioner. */
export function listAppointments(doc: Y.Doc, day?: string): Appointment[] {
	const list: Appointment[] = [];
	for (const [id, map] of appointments(doc)) {
		const a = readAppointment(id, map);
		if (a && (day === undefined || a.start.startsWith(day))) list.push(a);
	}
	return list.sort(
		(a, b) => a.start.localeCompare(b.start) || a.practitionerId.localeCompare(b.practitionerId) || a.id.localeCompare(b.id)
	);
}

/** Minutes since midnight of a wall time. */
export function minuteOfDay(start: string): number {
	return Number(start.slice(11, 13)) * 60 + Number(start.slice(14, 16));
}

/**
 * Ids of appointments that overlap another of the same practitioner. Offline devices can book the same slot;
 * the merge keeps both and this shows them to a person to resolve.
 */
export function findClashes(list: Appointment[]): Set<string> {
	const clashes = new Set<string>();
	const byPractitionerDay = new Map<string, Appointment[]>();
	for (const a of list) {
		const key = `${a.practitionerId}|${a.start.slice(0, 10)}`;
		const group = byPractitionerDay.get(key);
		if (group) group.push(a);
		else byPractitionerDay.set(key, [a]);
	}
	for (const group of byPractitionerDay.values()) {
		group.sort((a, b) => a.start.localeCompare(b.start));
		let latestEnd = -1;
		let latestId = '';
		for (const a of group) {
			const from = minuteOfDay(a.start);
			if (from < latestEnd) {
				clashes.add(a.id);
				clashes.add(latestId);
			}
			const end = from + a.durationMinutes;
			if (end > latestEnd) {
				latestEnd = end;
				latestId = a.id;
			}
		}
	}
	return clashes;
}

function readAppointment(id: string, map: Y.Map<unknown>): Appointment | null {
	const start = map.get('start');
	const practitionerId = map.get('practitionerId');
	if (typeof start !== 'string' || typeof practitionerId !== 'string') return null;
	return {
		id,
		practitionerId,
		start,
		durationMinutes: Number(map.get('durationMinutes') ?? 30),
		patientName: String(map.get('patientName') ?? ''),
		note: String(map.get('note') ?? '')
	};
}
