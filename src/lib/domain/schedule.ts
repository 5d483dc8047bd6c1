import * as Y from 'yjs';
import { z } from 'zod';
import { parseDocName } from './docName.ts';
import { docId, wallTime } from './fields.ts';
import { newId } from './ids.ts';
import type { Role } from './roles.ts';

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
	status: AppointmentStatus;
	/** The user id of whoever booked it; absent on appointments booked before it was kept. */
	createdBy?: string;
}

/** Where an appointment stands. A cancelled one stays in the book (shown struck through) instead of vanishing. */
export const APPOINTMENT_STATUSES = ['booked', 'confirmed', 'arrived', 'completed', 'cancelled', 'no_show'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];
export const appointmentStatus = z.enum(APPOINTMENT_STATUSES);

const durationMinutes = z
	.number()
	.int()
	.min(5)
	.max(12 * 60);
const patientName = z.string().trim().min(1).max(200);
const note = z.string().max(2000);

export const appointmentInput = z.object({
	practitionerId: docId,
	start: wallTime,
	durationMinutes,
	patientName,
	note: note.default(''),
	status: appointmentStatus.default('booked'),
	createdBy: docId.optional()
});

/**
 * What a read accepts (DOC-READ-1): the write rules. An entry without a valid practitioner, start or patient
 * cannot be shown and is skipped; a bad duration shows as 30 minutes, a bad note as none.
 */
const storedAppointment = z.object({
	practitionerId: docId,
	start: wallTime,
	durationMinutes: durationMinutes.catch(30),
	patientName,
	note: note.catch(''),
	status: appointmentStatus.catch('booked'),
	createdBy: docId.optional().catch(undefined)
});

/**
 * What a change may set: no defaults (a move must not reset the note or the status another device just set), and
 * never who booked it, which the server's delete rule reads.
 */
export const appointmentChange = z
	.object({ practitionerId: docId, start: wallTime, durationMinutes, patientName, note, status: appointmentStatus })
	.partial();

export type AppointmentInput = z.input<typeof appointmentInput>;
export type AppointmentChange = z.input<typeof appointmentChange>;

export class ScheduleError extends Error {
	override name = 'ScheduleError';
}

/** The schedule doc an appointment starting at `start` belongs to: `yyyy-mm`. */
export function monthOf(start: string): string {
	return start.slice(0, 7);
}

declare const scheduleDocBrand: unique symbol;

/**
 * A schedule doc together with the month its name says it holds, made only by `scheduleDoc()`. The writes below
 * take it instead of a doc and a month given apart, so one month's doc cannot be handed another month.
 */
export interface ScheduleDoc {
	readonly doc: Y.Doc;
	readonly month: string;
	readonly [scheduleDocBrand]: true;
}

/** The schedule handle of the doc named `docName`; throws for a name of another kind. */
export function scheduleDoc(docName: string, doc: Y.Doc): ScheduleDoc {
	const name = parseDocName(docName);
	if (name?.kind !== 'schedule' || name.key === undefined) throw new ScheduleError(`not a schedule doc: ${docName}`);
	return { doc, month: name.key } as ScheduleDoc;
}

const appointments = (doc: Y.Doc) => doc.getMap<unknown>('appointments');
const docOf = (target: ScheduleDoc | Y.Doc) => (target instanceof Y.Doc ? target : target.doc);

/** Adds an appointment to the schedule doc; its start must fall in the doc's month. */
export function addAppointment(schedule: ScheduleDoc, input: AppointmentInput): Appointment {
	return add(schedule.doc, schedule.month, input);
}

function add(doc: Y.Doc, month: string, input: AppointmentInput): Appointment {
	const parsed = appointmentInput.parse(input);
	const a: Appointment = { id: newId(), ...parsed };
	if (a.createdBy === undefined) delete a.createdBy;
	if (monthOf(a.start) !== month) throw new ScheduleError(`the appointment starts outside ${month}`);
	assertSameDay(a);
	doc.transact(() => {
		const map = new Y.Map<unknown>();
		for (const [k, v] of Object.entries(a)) if (k !== 'id') map.set(k, v);
		appointments(doc).set(a.id, map);
	});
	return a;
}

export const ENDS_AFTER_MIDNIGHT = 'the appointment would end after midnight';

/** An appointment ends on the day it starts: 23:30 + 120 minutes is not a booking the day can show. */
function assertSameDay(a: Pick<Appointment, 'start' | 'durationMinutes'>): void {
	if (minuteOfDay(a.start) + a.durationMinutes > 24 * 60) throw new ScheduleError(ENDS_AFTER_MIDNIGHT);
}

/** Changes some fields (a move is a change of start or practitioner); the start stays in the doc's month. */
export function changeAppointment(schedule: ScheduleDoc, id: string, change: AppointmentChange): Appointment {
	return applyChange(schedule.doc, schedule.month, id, change);
}

function applyChange(doc: Y.Doc, month: string, id: string, input: AppointmentChange): Appointment {
	const parsed = appointmentChange.parse(input);
	const map = appointments(doc).get(id);
	if (!(map instanceof Y.Map)) throw new ScheduleError('no such appointment');
	if (parsed.start !== undefined && monthOf(parsed.start) !== month) {
		throw new ScheduleError(`the appointment would start outside ${month}`);
	}
	const fields = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined));
	const changed = readAppointment(id, map, fields);
	if (!changed) throw new ScheduleError('the appointment holds invalid values');
	if (parsed.start !== undefined || parsed.durationMinutes !== undefined) assertSameDay(changed);
	doc.transact(() => {
		for (const [k, v] of Object.entries(fields)) if (map.get(k) !== v) map.set(k, v);
	});
	return changed;
}

/** Marks an appointment cancelled: it stays in the book, shown as cancelled, and no longer clashes. */
export function cancelAppointment(schedule: ScheduleDoc, id: string): Appointment {
	return changeAppointment(schedule, id, { status: 'cancelled' });
}

/**
 * Who may delete an appointment outright (anyone may cancel one): admins and practitioners, and reception only
 * what it booked itself. The server enforces the same rule from the `createdBy` field; the device only offers
 * what will be accepted. An appointment booked before `createdBy` was kept is nobody's own.
 */
export function mayDeleteAppointment(user: { id: string; role: Role }, appointment: Pick<Appointment, 'createdBy'>): boolean {
	return user.role !== 'reception' || (appointment.createdBy !== undefined && appointment.createdBy === user.id);
}

export function deleteAppointment(target: ScheduleDoc | Y.Doc, id: string): void {
	const doc = docOf(target);
	if (!appointments(doc).has(id)) throw new ScheduleError('no such appointment');
	appointments(doc).delete(id);
}

/** Appointments, optionally of one day (`YYYY-MM-DD`), by start time then practitioner. */
export function listAppointments(target: ScheduleDoc | Y.Doc, day?: string): Appointment[] {
	const list: Appointment[] = [];
	for (const [id, entry] of appointments(docOf(target))) {
		const a = readAppointment(id, entry);
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
 * Ids of appointments that overlap another of the same practitioner (cancelled ones free their time). Offline devices can book the same slot;
 * the merge keeps both and this shows them to a person to resolve.
 */
export function findClashes(list: Appointment[]): Set<string> {
	const clashes = new Set<string>();
	const byPractitionerDay = new Map<string, Appointment[]>();
	for (const a of list) {
		if (a.status === 'cancelled') continue;
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

/** The appointment as read (DOC-READ-1), with `changes` laid over its stored fields when given. */
function readAppointment(id: string, entry: unknown, changes?: Record<string, unknown>): Appointment | null {
	if (!docId.safeParse(id).success || !(entry instanceof Y.Map)) return null;
	const parsed = storedAppointment.safeParse({ ...Object.fromEntries(entry.entries()), ...changes });
	if (!parsed.success) return null;
	const { createdBy, ...a } = parsed.data;
	return createdBy === undefined ? { id, ...a } : { id, ...a, createdBy };
}
