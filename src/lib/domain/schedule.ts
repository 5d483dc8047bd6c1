import { byCodeUnit } from './order.ts';
import * as Y from 'yjs';
import { z } from 'zod';
import { parseDateTime, toCalendarDateTime, toZoned } from '@internationalized/date';
import { parseDocName } from './docName.ts';
import { docId, wallTime } from './fields.ts';
import { newId } from './ids.ts';
import type { Role } from './roles.ts';
import { observeEntryChanges } from './entryChanges.ts';

/**
 * The `<clinic>/schedule/<yyyy-mm>` doc: the appointments that start in that month, each a Y.Map under its id
 * (field-level merges: one device moving an appointment while another renames it keeps both edits).
 * Times are wall-clock times of the clinic (`YYYY-MM-DDTHH:mm`), which is what staff book and read.
 * These functions are the only code that touches the doc's structure.
 */
export interface Appointment {
	id: string;
	practitionerId: string;
	/** The contact (patient) the appointment is for; absent only on appointments booked before patients existed. */
	patientId?: string;
	/** A typed name, kept on appointments booked before they named a contact; new bookings name `patientId`. */
	patientName?: string;
	roomId?: string;
	serviceId?: string;
	/** Clinic wall-clock start, `YYYY-MM-DDTHH:mm`. */
	start: string;
	durationMinutes: number;
	note: string;
	status: AppointmentStatus;
	/** How it was booked. */
	source: AppointmentSource;
	/** The user id of whoever booked it; absent on appointments booked before it was kept, and on moved copies. */
	createdBy?: string;
	/** For one occurrence of a recurring booking: the series, its place in it and the month of its last one. */
	series?: SeriesRef;
}

export interface SeriesRef {
	id: string;
	index: number;
	/** `yyyy-mm` of the series' last occurrence: the months a "this and following" change must open. */
	until: string;
}

/** Where an appointment stands. A cancelled one stays in the book (shown struck through) instead of vanishing. */
export const APPOINTMENT_STATUSES = ['booked', 'confirmed', 'arrived', 'completed', 'cancelled', 'no_show'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];
export const appointmentStatus = z.enum(APPOINTMENT_STATUSES);

export const APPOINTMENT_SOURCES = ['desk', 'phone', 'whatsapp', 'instagram', 'web', 'google'] as const;
export type AppointmentSource = (typeof APPOINTMENT_SOURCES)[number];
export const appointmentSource = z.enum(APPOINTMENT_SOURCES);

/** The most occurrences one recurring booking makes. */
export const MAX_OCCURRENCES = 52;

const durationMinutes = z
	.number()
	.int()
	.min(5)
	.max(12 * 60);
const patientName = z.string().trim().min(1).max(200);
const note = z.string().max(2000);
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);
const seriesRef = z.object({ id: docId, index: z.number().int().min(0).max(MAX_OCCURRENCES), until: month });

/** What the book holds about an appointment, without its id: the fields a move copies to another month. */
const appointmentFields = {
	practitionerId: docId,
	patientId: docId.optional(),
	patientName: patientName.optional(),
	roomId: docId.optional(),
	serviceId: docId.optional(),
	start: wallTime,
	durationMinutes,
	note: note.default(''),
	status: appointmentStatus.default('booked'),
	source: appointmentSource.default('desk'),
	createdBy: docId.optional(),
	series: seriesRef.optional()
};

const namesPatient = (a: { patientId?: string; patientName?: string }) =>
	a.patientId !== undefined || a.patientName !== undefined;
export const PATIENT_REQUIRED = 'an appointment names its patient';

export const appointmentInput = z.object(appointmentFields).refine(namesPatient, PATIENT_REQUIRED);

/**
 * What a read accepts (DOC-READ-1): the write rules. An entry without a valid practitioner, start or patient
 * cannot be shown and is skipped; a bad duration shows as 30 minutes, a bad note as none, a bad room, service or
 * series as none.
 */
const storedAppointment = z
	.object({
		practitionerId: docId,
		patientId: docId.optional().catch(undefined),
		patientName: patientName.optional().catch(undefined),
		roomId: docId.optional().catch(undefined),
		serviceId: docId.optional().catch(undefined),
		start: wallTime,
		durationMinutes: durationMinutes.catch(30),
		note: note.catch(''),
		status: appointmentStatus.catch('booked'),
		source: appointmentSource.catch('desk'),
		createdBy: docId.optional().catch(undefined),
		series: seriesRef.optional().catch(undefined)
	})
	.refine(namesPatient);

/**
 * What a change may set: no defaults (a move must not reset the note or the status another device just set), and
 * never who booked it, which the server's delete rule reads, nor the series an occurrence belongs to.
 * `null` clears a room or service.
 */
export const appointmentChange = z
	.object({
		practitionerId: docId,
		patientId: docId,
		patientName,
		roomId: docId.nullable(),
		serviceId: docId.nullable(),
		start: wallTime,
		durationMinutes,
		note,
		status: appointmentStatus,
		source: appointmentSource
	})
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

/** The entries of a schedule doc, by appointment id. Also read by the month moves (`scheduleMoves.ts`). */
export const appointmentEntries = (doc: Y.Doc) => doc.getMap<unknown>('appointments');
const docOf = (target: ScheduleDoc | Y.Doc) => (target instanceof Y.Doc ? target : target.doc);

/**
 * Fields of an entry that are not the appointment's own: set on an entry moved to another month (`movedTo`, then
 * the entry is no longer shown) and on its copy there (`movedFrom`), with what each held when the move was made
 * (`movedBase`). See `scheduleMoves.ts`.
 */
export const MOVE_FIELDS = ['movedTo', 'movedFrom', 'movedBase'] as const;

/** Adds an appointment to the schedule doc; its start must fall in the doc's month. */
export function addAppointment(schedule: ScheduleDoc, input: AppointmentInput): Appointment {
	const a: Appointment = { id: newId(), ...appointmentInput.parse(input) };
	for (const key of Object.keys(a) as (keyof Appointment)[]) if (a[key] === undefined) delete a[key];
	if (monthOf(a.start) !== schedule.month) throw new ScheduleError(`the appointment starts outside ${schedule.month}`);
	assertSameDay(a);
	schedule.doc.transact(() => {
		appointmentEntries(schedule.doc).set(a.id, entryOf(a));
	});
	return a;
}

/** A new entry holding the appointment's fields (its id is the key it is stored under). */
export function entryOf(a: Appointment | Omit<Appointment, 'id'>): Y.Map<unknown> {
	const map = new Y.Map<unknown>();
	for (const [k, v] of Object.entries(a)) if (k !== 'id' && v !== undefined) map.set(k, v);
	return map;
}

export const ENDS_AFTER_MIDNIGHT = 'the appointment would end after midnight';

/**
 * When the appointment ends, as a clinic wall time. With the clinic's time zone the minutes are real minutes
 * (01:30 + 60 on the night a zone springs forward ends at 03:30); without one, wall-clock minutes.
 */
export function endOf(a: Pick<Appointment, 'start' | 'durationMinutes'>, timeZone?: string): string {
	const start = parseDateTime(a.start);
	const end = timeZone
		? toCalendarDateTime(toZoned(start, timeZone).add({ minutes: a.durationMinutes }))
		: start.add({ minutes: a.durationMinutes });
	return end.toString().slice(0, 16);
}

/** The instants an appointment starts and ends at, in the clinic's time zone (for calendars and reminders). */
export function appointmentInterval(
	a: Pick<Appointment, 'start' | 'durationMinutes'>,
	timeZone: string
): { start: Date; end: Date } {
	const start = toZoned(parseDateTime(a.start), timeZone);
	return { start: start.toDate(), end: start.add({ minutes: a.durationMinutes }).toDate() };
}

/** An appointment ends on the day it starts: 23:30 + 120 minutes is not a booking the day can show. */
export function assertSameDay(a: Pick<Appointment, 'start' | 'durationMinutes'>): void {
	const end = endOf(a);
	if (end.slice(0, 10) !== a.start.slice(0, 10) && end.slice(11) !== '00:00') throw new ScheduleError(ENDS_AFTER_MIDNIGHT);
	if (end.slice(11) === '00:00' && parseDateTime(a.start).add({ days: 1 }).toString().slice(0, 10) !== end.slice(0, 10)) {
		throw new ScheduleError(ENDS_AFTER_MIDNIGHT);
	}
}

/** Changes some fields (a move is a change of start or practitioner); the start stays in the doc's month. */
export function changeAppointment(schedule: ScheduleDoc, id: string, change: AppointmentChange): Appointment {
	const parsed = appointmentChange.parse(change);
	const map = appointmentEntries(schedule.doc).get(id);
	if (!(map instanceof Y.Map) || map.has('movedTo')) throw new ScheduleError('no such appointment');
	if (parsed.start !== undefined && monthOf(parsed.start) !== schedule.month) {
		throw new ScheduleError(`the appointment would start outside ${schedule.month}`);
	}
	const fields = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined));
	const changed = readAppointment(id, map, fields);
	if (!changed) throw new ScheduleError('the appointment holds invalid values');
	if (parsed.start !== undefined || parsed.durationMinutes !== undefined) assertSameDay(changed);
	schedule.doc.transact(() => {
		for (const [k, v] of Object.entries(fields)) {
			if (v === null) map.delete(k);
			else if (map.get(k) !== v) map.set(k, v);
		}
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
	const entry = appointmentEntries(doc).get(id);
	if (!(entry instanceof Y.Map) || entry.has('movedTo')) throw new ScheduleError('no such appointment');
	appointmentEntries(doc).delete(id);
}

/**
 * Appointments, optionally of one day (`YYYY-MM-DD`) or a set of days, by start time then practitioner. Entries
 * of other days are skipped before they are read (a month holds thousands; a screen shows a day or a week).
 */
export function listAppointments(target: ScheduleDoc | Y.Doc, day?: string | readonly string[]): Appointment[] {
	const list: Appointment[] = [];
	const wanted = day === undefined ? undefined : new Set(typeof day === 'string' ? [day] : day);
	for (const [id, entry] of appointmentEntries(docOf(target))) {
		if (wanted && entry instanceof Y.Map) {
			const start = entry.get('start');
			if (typeof start !== 'string' || !wanted.has(start.slice(0, 10))) continue;
		}
		const a = readAppointment(id, entry);
		if (a) list.push(a);
	}
	return list.sort(
		(a, b) => byCodeUnit(a.start, b.start) || byCodeUnit(a.practitionerId, b.practitionerId) || byCodeUnit(a.id, b.id)
	);
}

/**
 * Calls `changed` with the ids of the appointments changed in each transaction (for indexes kept from the doc);
 * returns the function that stops it.
 */
export function observeAppointments(target: ScheduleDoc | Y.Doc, changed: (ids: string[]) => void): () => void {
	return observeEntryChanges(appointmentEntries(docOf(target)), changed);
}

/** The appointment with this id in the doc, or null (also for one moved to another month). */
export function findAppointment(target: ScheduleDoc | Y.Doc, id: string): Appointment | null {
	return readAppointment(id, appointmentEntries(docOf(target)).get(id));
}

/** Minutes since midnight of a wall time. */
export function minuteOfDay(start: string): number {
	const t = parseDateTime(start);
	return t.hour * 60 + t.minute;
}

/** How long after an appointment its practitioner and room stay taken, by service id (a service's buffer). */
export type BufferMinutes = ReadonlyMap<string, number>;

/**
 * Ids of appointments that overlap another of the same practitioner or in the same room (cancelled and no-show
 * ones free their time; a service's buffer keeps the time after it taken). Offline devices can book the same slot;
 * the merge keeps both and this shows them to a person to resolve.
 */
export function findClashes(list: Appointment[], buffers: BufferMinutes = new Map()): Set<string> {
	return clashingIds(listClashes(list, buffers));
}

/** The ids of the appointments in `clashes`. */
export function clashingIds(clashes: Clash[]): Set<string> {
	return new Set(clashes.flatMap((c) => [c.first, c.second]));
}

/** One clash: two appointments that hold the same practitioner or room at once. */
export interface Clash {
	first: string;
	second: string;
	/** What they share. */
	on: 'practitioner' | 'room';
}

/** The clashes of `list`, each pair once per what they share (see `findClashes`). */
export function listClashes(list: Appointment[], buffers: BufferMinutes = new Map()): Clash[] {
	const clashes: Clash[] = [];
	const groups = new Map<string, { a: Appointment; from: string; to: string }[]>();
	for (const a of list) {
		if (a.status === 'cancelled' || a.status === 'no_show') continue;
		const buffer = a.serviceId ? (buffers.get(a.serviceId) ?? 0) : 0;
		const slot = { a, from: a.start, to: endOf({ start: a.start, durationMinutes: a.durationMinutes + buffer }) };
		const keys = [`practitioner|${a.practitionerId}|${a.start.slice(0, 10)}`];
		if (a.roomId) keys.push(`room|${a.roomId}|${a.start.slice(0, 10)}`);
		for (const key of keys) {
			const group = groups.get(key);
			if (group) group.push(slot);
			else groups.set(key, [slot]);
		}
	}
	for (const [key, group] of groups) {
		const on = key.startsWith('room|') ? 'room' : 'practitioner';
		// Wall times of one day compare as strings; each overlapping pair is reported.
		group.sort((x, y) => byCodeUnit(x.from, y.from) || byCodeUnit(x.a.id, y.a.id));
		for (let i = 0; i < group.length; i++) {
			for (let j = i + 1; j < group.length && group[j].from < group[i].to; j++) {
				clashes.push({ first: group[i].a.id, second: group[j].a.id, on });
			}
		}
	}
	return clashes;
}

/** The appointment as read (DOC-READ-1), with `changes` laid over its stored fields when given. */
export function readAppointment(id: string, entry: unknown, changes?: Record<string, unknown>): Appointment | null {
	if (!docId.safeParse(id).success || !(entry instanceof Y.Map) || entry.has('movedTo')) return null;
	const fields: Record<string, unknown> = { ...Object.fromEntries(entry.entries()), ...changes };
	for (const [k, v] of Object.entries(fields)) if (v === null) delete fields[k];
	const parsed = storedAppointment.safeParse(fields);
	if (!parsed.success) return null;
	const a: Appointment = { id, ...parsed.data };
	for (const key of Object.keys(a) as (keyof Appointment)[]) if (a[key] === undefined) delete a[key];
	return a;
}

/** A reminder that went out for an appointment (REMIND-RECORD-1): which rule, when, for which start. */
export interface SentReminder {
	ruleId: string;
	at: string;
	start: string;
}

const REMINDED = 'reminded:';
const sentReminder = z.object({ at: z.string().max(40), start: wallTime });

/**
 * Records on the appointment that a reminder went out, a key per rule (`reminded:<ruleId>`), so reminders sent by
 * the server and edits by staff never write the same key. A move does not carry it: the new time gets its own.
 */
export function recordReminder(schedule: ScheduleDoc, id: string, reminder: SentReminder): void {
	const entry = appointmentEntries(schedule.doc).get(id);
	if (!(entry instanceof Y.Map) || entry.has('movedTo')) throw new ScheduleError('no such appointment');
	const { ruleId, ...value } = reminder;
	schedule.doc.transact(() => entry.set(`${REMINDED}${ruleId}`, sentReminder.parse(value)));
}

/** The reminders recorded on an appointment (those for its current start), oldest first. */
export function sentReminders(target: ScheduleDoc | Y.Doc, id: string): SentReminder[] {
	const entry = appointmentEntries(docOf(target)).get(id);
	if (!(entry instanceof Y.Map)) return [];
	const start = entry.get('start');
	const list: SentReminder[] = [];
	for (const [key, value] of entry.entries()) {
		if (!key.startsWith(REMINDED)) continue;
		const parsed = sentReminder.safeParse(value);
		if (parsed.success && parsed.data.start === start) list.push({ ruleId: key.slice(REMINDED.length), ...parsed.data });
	}
	return list.sort((a, b) => a.at.localeCompare(b.at));
}
