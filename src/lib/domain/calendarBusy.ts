import { byCodeUnit } from './order.ts';
import * as Y from 'yjs';
import { z } from 'zod';
import { CalendarDate, parseDate, parseDateTime } from '@internationalized/date';
import { docId, wallTime } from './fields.ts';
import { appointmentEntries, monthOf, ScheduleError, type ScheduleDoc } from './schedule.ts';

/**
 * What a practitioner's own Google Calendar says about their time, kept in the schedule's month docs by the server
 * (`server/calendar/`), never by devices:
 * - busy blocks: events made in Google (not by us), a piece per day in the month doc of that day, under the key
 *   `<eventKey>:<yyyy-mm-dd>`. No title or description is kept: staff see that the practitioner is busy, not why.
 * - lost versions: when an appointment was changed here and in Google at the same time, the book's version wins
 *   (docs/spec/schedule.md, SCHEDULE-GOOGLE-4) and Google's is recorded on the appointment under
 *   `calendarLost:<id>`, so staff can see what the practitioner had set.
 */

/** The most days one Google event blocks (a longer one is cut): bounds what one event can write. */
export const MAX_BUSY_DAYS = 62;
const DAY_MINUTES = 24 * 60;
const LOST = 'calendarLost:';
/** The root map of busy blocks in a month doc. */
export const BUSY_MAP = 'busy';
/** Keys on appointment entries that only the server writes. */
export const SERVER_ONLY_APPOINTMENT_KEYS = [LOST] as const;

/** One day's piece of a busy time of a practitioner, in the clinic's wall-clock time. */
export interface BusyBlock {
	/** `<eventKey>:<yyyy-mm-dd>`. */
	key: string;
	/** Which Google event it comes from (a key derived from the event id, see `busyEventKey`). */
	eventKey: string;
	practitionerId: string;
	/** Wall-clock start `YYYY-MM-DDTHH:mm`; the piece ends the same day at the latest (24:00). */
	start: string;
	durationMinutes: number;
}

const storedBusy = z.object({
	practitionerId: docId,
	start: wallTime,
	durationMinutes: z.number().int().min(1).max(DAY_MINUTES)
});

/** A key made of a Google event id: ids are base32hex (and `_` for instances), capped so a key stays short. */
export function busyEventKey(eventId: string): string {
	if (!/^[a-zA-Z0-9_-]{1,200}$/.test(eventId)) throw new ScheduleError('not a Google event id');
	return eventId;
}

/**
 * The pieces of a busy time from `start` to `end` (clinic wall times, end exclusive), one per day it covers, at most
 * MAX_BUSY_DAYS. An all-day event is given as `YYYY-MM-DDT00:00` to the next day's `T00:00`.
 */
export function busyPieces(eventKey: string, practitionerId: string, start: string, end: string): BusyBlock[] {
	const from = parseDateTime(start);
	const to = parseDateTime(end);
	if (to.compare(from) <= 0) return [];
	const pieces: BusyBlock[] = [];
	let day: CalendarDate = new CalendarDate(from.year, from.month, from.day);
	for (let i = 0; i < MAX_BUSY_DAYS; i++, day = day.add({ days: 1 })) {
		const dayStart = parseDateTime(`${day.toString()}T00:00`);
		const nextDay = dayStart.add({ days: 1 });
		if (nextDay.compare(from) <= 0) continue;
		if (to.compare(dayStart) <= 0) break;
		const pieceStart = from.compare(dayStart) > 0 ? from : dayStart;
		const pieceEnd = to.compare(nextDay) < 0 ? to : nextDay;
		// Within one day: minutes of the day (`compare` of two date-times is not a duration).
		const minuteOf = (t: typeof from) => t.hour * 60 + t.minute;
		const minutes = (pieceEnd === nextDay ? DAY_MINUTES : minuteOf(pieceEnd)) - minuteOf(pieceStart);
		if (minutes <= 0) continue;
		pieces.push({
			key: `${eventKey}:${day.toString()}`,
			eventKey,
			practitionerId,
			start: pieceStart.toString().slice(0, 16),
			durationMinutes: Math.min(minutes, DAY_MINUTES)
		});
	}
	return pieces;
}

/** The months (`yyyy-mm`) these pieces are kept in. */
export const busyMonths = (pieces: readonly BusyBlock[]) => [...new Set(pieces.map((p) => monthOf(p.start)))];

/**
 * Makes the month doc hold exactly `pieces` of this event that fall in its month (the others are written to their
 * own months): pieces that went away are removed, changed ones rewritten, unchanged ones left alone.
 */
export function setBusyPieces(schedule: ScheduleDoc, eventKey: string, pieces: readonly BusyBlock[]): void {
	const map = schedule.doc.getMap<unknown>(BUSY_MAP);
	const mine = pieces.filter((p) => monthOf(p.start) === schedule.month);
	const wanted = new Map(mine.map((p) => [p.key, p]));
	schedule.doc.transact(() => {
		for (const key of [...map.keys()]) if (key.startsWith(`${eventKey}:`) && !wanted.has(key)) map.delete(key);
		for (const p of mine) {
			const value = { practitionerId: p.practitionerId, start: p.start, durationMinutes: p.durationMinutes };
			const current = storedBusy.safeParse(map.get(p.key));
			if (!current.success || JSON.stringify(current.data) !== JSON.stringify(value)) map.set(p.key, value);
		}
	});
}

/** Busy blocks of the month doc, optionally only those of one day or some days (`YYYY-MM-DD`), by start. */
export function listBusy(doc: Y.Doc, day?: string | readonly string[]): BusyBlock[] {
	const days = day === undefined ? null : new Set(typeof day === 'string' ? [day] : day);
	const list: BusyBlock[] = [];
	for (const [key, value] of doc.getMap<unknown>(BUSY_MAP)) {
		const cut = key.lastIndexOf(':');
		if (cut <= 0 || (days && !days.has(key.slice(cut + 1)))) continue;
		const parsed = storedBusy.safeParse(value);
		if (!parsed.success || parsed.data.start.slice(0, 10) !== key.slice(cut + 1)) continue;
		try {
			parseDate(key.slice(cut + 1));
		} catch {
			continue;
		}
		list.push({ key, eventKey: key.slice(0, cut), ...parsed.data });
	}
	return list.sort((a, b) => byCodeUnit(a.start, b.start) || byCodeUnit(a.key, b.key));
}

/** Google's version of an appointment that lost to the book's (SCHEDULE-GOOGLE-4). */
export interface LostVersion {
	id: string;
	/** When the server saw it (ISO instant). */
	at: string;
	/** What Google had: a new start and length, or that it was deleted there. */
	start?: string;
	durationMinutes?: number;
	deleted?: boolean;
}

const lostVersion = z.object({
	at: z.string().max(40),
	start: wallTime.optional(),
	durationMinutes: z
		.number()
		.int()
		.min(1)
		.max(DAY_MINUTES * MAX_BUSY_DAYS)
		.optional(),
	deleted: z.boolean().optional()
});

/** Records on the appointment what Google had when the book's version won. */
export function recordLostVersion(schedule: ScheduleDoc, appointmentId: string, lost: LostVersion): void {
	const entry = appointmentEntries(schedule.doc).get(appointmentId);
	if (!(entry instanceof Y.Map) || entry.has('movedTo')) throw new ScheduleError('no such appointment');
	const { id, ...value } = lost;
	schedule.doc.transact(() => entry.set(`${LOST}${id}`, lostVersion.parse(value)));
}

/** The versions of an appointment that lost to the book's, oldest first. */
export function lostVersions(target: ScheduleDoc | Y.Doc, appointmentId: string): LostVersion[] {
	const doc = target instanceof Y.Doc ? target : target.doc;
	const entry = appointmentEntries(doc).get(appointmentId);
	if (!(entry instanceof Y.Map)) return [];
	const list: LostVersion[] = [];
	for (const [key, value] of entry.entries()) {
		if (!key.startsWith(LOST)) continue;
		const parsed = lostVersion.safeParse(value);
		if (parsed.success) list.push({ id: key.slice(LOST.length), ...parsed.data });
	}
	return list.sort((a, b) => a.at.localeCompare(b.at));
}
