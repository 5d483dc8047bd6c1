import * as Y from 'yjs';
import {
	appointmentChange,
	appointmentEntries,
	assertSameDay,
	changeAppointment,
	MOVE_FIELDS,
	monthOf,
	readAppointment,
	ScheduleError,
	type Appointment,
	type AppointmentChange,
	type ScheduleDoc
} from './schedule.ts';

/**
 * Moving an appointment to another month moves it between two docs, which no transaction spans. A move writes the
 * appointment into the new month first (same id, `movedFrom`), then marks the old entry `movedTo` (it is no longer
 * shown); each keeps what it held at the move (`movedBase`). A crash between the two writes leaves the appointment
 * in both months, never in none. `reconcileMoves` then repairs what moves made concurrently or cut short leave
 * behind, on any device that holds the months involved (SCHEDULE-MOVE-1..4 in docs/spec/schedule.md):
 * - an edit made to the old entry by a device that had not seen the move is carried to where the appointment is;
 * - of two devices moving it to different months, the month the old entry names wins; the other copy is marked
 *   moved too, and its edits are carried over the same way;
 * - a copy whose old entry is still shown completes the move;
 * - an entry marked moved to a month that, caught up with the server, never had it, is shown again.
 */

/** Fields an edit of a moved-away entry carries to the appointment. The start is the move's own. */
const FORWARDED = [
	'practitionerId',
	'patientId',
	'patientName',
	'roomId',
	'serviceId',
	'durationMinutes',
	'note',
	'status',
	'source'
] as const;

type Fields = Record<string, unknown>;

const isMoveField = (key: string) => (MOVE_FIELDS as readonly string[]).includes(key);

/** The appointment's own fields of an entry (what it would show), without the move bookkeeping. */
function ownFields(entry: Y.Map<unknown>): Fields {
	return Object.fromEntries([...entry.entries()].filter(([k]) => !isMoveField(k)));
}

function baseOf(entry: Y.Map<unknown>): Fields | undefined {
	const base = entry.get('movedBase');
	return typeof base === 'object' && base !== null && !Array.isArray(base) ? (base as Fields) : undefined;
}

/**
 * Moves an appointment to `to`'s month with `change` applied (its `start` must fall in that month). Within one
 * month it is a change. The copy does not carry who booked it: the server accepts a new entry only with its
 * writer as booker or none, so a moved appointment is nobody's own (reception cancels it instead of deleting).
 */
export function moveAppointment(from: ScheduleDoc, to: ScheduleDoc, id: string, change: AppointmentChange): Appointment {
	if (from.month === to.month) return changeAppointment(from, id, change);
	const { appointment, base } = writeMovedCopy(from, to, id, change);
	markMovedAway(from, to.month, id, base);
	return appointment;
}

/**
 * The first half of a move to another month: the copy in `to` (reading `from`, writing only `to`). For a writer
 * that cannot hold both docs in one call (the server writes each doc through its own handle); `markMovedAway`
 * with the returned base is the second half.
 */
export function writeMovedCopy(
	from: ScheduleDoc,
	to: ScheduleDoc,
	id: string,
	change: AppointmentChange
): { appointment: Appointment; base: Record<string, unknown> } {
	const source = appointmentEntries(from.doc).get(id);
	if (!(source instanceof Y.Map) || source.has('movedTo')) throw new ScheduleError('no such appointment');
	const parsed = appointmentChange.parse(change);
	if (parsed.start === undefined || monthOf(parsed.start) !== to.month) {
		throw new ScheduleError(`the appointment would start outside ${to.month}`);
	}
	const fields = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined));
	const read = readAppointment(id, source, fields);
	if (!read) throw new ScheduleError('the appointment holds invalid values');
	assertSameDay(read);
	const { id: _id, createdBy: _createdBy, ...moved } = read;
	const base = ownFields(source);

	to.doc.transact(() => {
		const entries = appointmentEntries(to.doc);
		const existing = entries.get(id);
		// Moved back to a month it was in: the entry left there comes back (it keeps who booked it).
		const entry: Y.Map<unknown> = existing instanceof Y.Map ? (existing as Y.Map<unknown>) : new Y.Map<unknown>();
		for (const key of [...entry.keys()]) if (!(key in moved) && key !== 'createdBy' && !isMoveField(key)) entry.delete(key);
		for (const [k, v] of Object.entries(moved)) if (entry.get(k) !== v) entry.set(k, v);
		entry.delete('movedTo');
		entry.set('movedFrom', from.month);
		entry.set('movedBase', moved);
		if (entry !== existing) entries.set(id, entry);
	});
	return { appointment: { id, ...moved, ...(existingCreator(to, id) ?? {}) }, base };
}

/** The second half of a move: the old entry is marked moved to `toMonth` (no longer shown there). */
export function markMovedAway(from: ScheduleDoc, toMonth: string, id: string, base: Record<string, unknown>): void {
	const source = appointmentEntries(from.doc).get(id);
	if (!(source instanceof Y.Map)) throw new ScheduleError('no such appointment');
	from.doc.transact(() => {
		source.set('movedTo', toMonth);
		source.set('movedBase', base);
	});
}

function existingCreator(schedule: ScheduleDoc, id: string): { createdBy: string } | undefined {
	const createdBy = (appointmentEntries(schedule.doc).get(id) as Y.Map<unknown>).get('createdBy');
	return typeof createdBy === 'string' ? { createdBy } : undefined;
}

/** What a pass of `reconcileMoves` found. */
export interface MoveRepairs {
	/** Months whose docs the pass needed and did not have: open them and run it again. */
	needs: Set<string>;
	/** How many entries it changed. */
	repaired: number;
}

type Found = { live: Y.Map<unknown>; schedule: ScheduleDoc } | { missing: string } | { cycle: string[] } | null;

/**
 * Repairs what moves left behind among the months in `docs` (see the top of this file). `settled(month)` says
 * whether that month's doc has caught up with the server, so an entry it lacks is truly not there.
 * Running it again changes nothing.
 */
export function reconcileMoves(docs: ReadonlyMap<string, ScheduleDoc>, settled: (month: string) => boolean): MoveRepairs {
	const repairs: MoveRepairs = { needs: new Set(), repaired: 0 };

	/** Where the appointment moved from `month` lives now, following moves; null when a month is not at hand. */
	const follow = (id: string, month: string, seen: string[]): Found => {
		for (let at = month; ;) {
			const schedule = docs.get(at);
			if (!schedule) {
				repairs.needs.add(at);
				return null;
			}
			const entries = appointmentEntries(schedule.doc);
			const entry = entries.get(id);
			if (!(entry instanceof Y.Map)) {
				// Deleted there after the move (the key once held it): the appointment is gone, nothing to repair.
				if (entries._map.has(id) || !settled(at)) return null;
				return { missing: at };
			}
			const next = entry.get('movedTo');
			if (typeof next !== 'string') return { live: entry, schedule };
			if (seen.includes(next)) return { cycle: seen };
			seen.push(next);
			at = next;
		}
	};

	for (const [month, schedule] of docs) {
		for (const [id, entry] of appointmentEntries(schedule.doc)) {
			if (!(entry instanceof Y.Map)) continue;
			const movedTo = entry.get('movedTo');
			const movedFrom = entry.get('movedFrom');
			if (typeof movedTo === 'string') {
				const found = follow(id, movedTo, [month, movedTo]);
				if (!found) continue;
				if ('live' in found) {
					if (carryEdits(schedule, entry, found.schedule, found.live)) repairs.repaired++;
				} else if ('missing' in found || [...found.cycle].sort()[0] === month) {
					// Marked moved to a month that never had it, or every month in a ring says "moved on": show it here.
					schedule.doc.transact(() => entry.delete('movedTo'));
					repairs.repaired++;
				}
			} else if (typeof movedFrom === 'string' && movedFrom !== month) {
				const origin = docs.get(movedFrom);
				if (!origin) {
					repairs.needs.add(movedFrom);
					continue;
				}
				const old = appointmentEntries(origin.doc).get(id);
				if (!(old instanceof Y.Map)) continue;
				const oldMovedTo = old.get('movedTo');
				if (oldMovedTo === month) continue;
				if (typeof oldMovedTo === 'string') {
					// Another device moved it elsewhere at the same time, and that move won: this copy is left.
					const found = follow(id, oldMovedTo, [movedFrom, oldMovedTo]);
					if (!found || !('live' in found) || found.live === entry) continue;
					schedule.doc.transact(() => entry.set('movedTo', found.schedule.month));
				} else if (old.get('movedFrom') === month) {
					// Moved back from here while this copy was made: the copy is left.
					schedule.doc.transact(() => entry.set('movedTo', movedFrom));
				} else {
					// The move was cut short before it marked the old entry.
					origin.doc.transact(() => {
						old.set('movedBase', ownFields(old));
						old.set('movedTo', month);
					});
				}
				repairs.repaired++;
			}
		}
	}
	return repairs;
}

/**
 * Carries to `live` each field someone changed on the moved-away `left` after the move. A field changed on both
 * keeps the value where the appointment lives, except the note, which keeps both texts.
 */
function carryEdits(leftIn: ScheduleDoc, left: Y.Map<unknown>, liveIn: ScheduleDoc, live: Y.Map<unknown>): boolean {
	const base = baseOf(left) ?? {};
	const liveBase = baseOf(live);
	const nextBase = { ...base };
	const writes: [string, unknown][] = [];
	for (const field of FORWARDED) {
		const value = left.get(field);
		if (value === base[field]) continue;
		nextBase[field] = value;
		const schema = appointmentChange.shape[field];
		if (value !== undefined && !schema.safeParse(value).success) continue;
		const current = live.get(field);
		if (liveBase === undefined || current === liveBase[field]) writes.push([field, value]);
		else if (field === 'note' && typeof value === 'string' && typeof current === 'string' && !current.includes(value)) {
			writes.push([field, `${current}\n${value}`.slice(0, 2000)]);
		}
	}
	if (Object.keys(nextBase).every((k) => nextBase[k] === base[k])) return false;
	liveIn.doc.transact(() => {
		for (const [field, value] of writes) {
			if (value === undefined) live.delete(field);
			else live.set(field, value);
		}
	});
	leftIn.doc.transact(() => left.set('movedBase', nextBase));
	return true;
}
