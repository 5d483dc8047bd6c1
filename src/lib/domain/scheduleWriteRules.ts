import * as Y from 'yjs';
import type { Role } from './roles.ts';

/**
 * The schedule's write rules that depend on who writes, checked on one writer's transaction before it is
 * stored (the server refuses the whole update; the device's UI only offers what passes):
 * - a new appointment names its writer as `createdBy` (or nobody),
 * - `createdBy` of an existing appointment never changes,
 * - reception deletes only appointments it created itself (others it cancels),
 * - what the practitioners' Google Calendars say (busy blocks, lost versions) is written by the server alone.
 * The map and field names are those of `schedule.ts` and `calendarBusy.ts`.
 */
export interface ScheduleWriter {
	userId: string;
	role: Role;
}

export class ScheduleRuleError extends Error {
	override name = 'ScheduleRuleError';
}

const APPOINTMENTS = 'appointments';
const CREATED_BY = 'createdBy';
const BUSY = 'busy';
const LOST_PREFIX = 'calendarLost:';

/** A field of a Y.Map as it was, even if the transaction deleted it (a deleted entry's item keeps its content). */
function fieldOf(map: Y.Map<unknown>, key: string): unknown {
	const item = map._map.get(key);
	return item ? item.content.getContent()[item.length - 1] : undefined;
}

/** Whether an item was made in this transaction (its clock is past what the doc had before it). */
function isNew(transaction: Y.Transaction, item: Y.Item): boolean {
	return item.id.clock >= (transaction.beforeState.get(item.id.client) ?? 0);
}

/** Throws a ScheduleRuleError naming the first rule this transaction breaks. */
export function checkScheduleWrite(transaction: Y.Transaction, writer: ScheduleWriter): void {
	const appointments = transaction.doc.getMap<unknown>(APPOINTMENTS);
	const busy = transaction.doc.getMap<unknown>(BUSY);

	// New appointments, and changes of the creator field of existing ones.
	for (const [type, keys] of transaction.changed) {
		if (type._item === null && type._map === busy._map) throw new ScheduleRuleError('busy times come from Google Calendar only');
		if (type._item?.parent === appointments && [...keys].some((k) => k?.startsWith(LOST_PREFIX))) {
			throw new ScheduleRuleError('versions lost to Google Calendar are recorded by the server only');
		}
		// A root the doc had not named before this update is a plain AbstractType in `changed`; `getMap` above made
		// the YMap that took over its entries (the same `_map`).
		if (type._item === null && type._map === appointments._map) {
			for (const key of keys) {
				if (key === null) continue;
				const item = appointments._map.get(key);
				if (!item || item.deleted || !isNew(transaction, item) || !(item.content instanceof Y.ContentType)) continue;
				const createdBy = fieldOf(item.content.type as Y.Map<unknown>, CREATED_BY);
				if (createdBy !== undefined && createdBy !== writer.userId) {
					throw new ScheduleRuleError('a new appointment names someone else as its creator');
				}
			}
		} else if (type._item?.parent === appointments && !isNew(transaction, type._item) && keys.has(CREATED_BY)) {
			throw new ScheduleRuleError('the creator of an appointment does not change');
		}
	}

	if (writer.role !== 'reception') return;
	Y.iterateDeletedStructs(transaction, transaction.deleteSet, (struct) => {
		if (!(struct instanceof Y.Item) || struct.parent !== appointments || struct.parentSub === null) return;
		// A deleted entry that was never visible (made and deleted in one go) is the writer's own.
		if (isNew(transaction, struct) || !(struct.content instanceof Y.ContentType)) return;
		if (fieldOf(struct.content.type as Y.Map<unknown>, CREATED_BY) !== writer.userId) {
			throw new ScheduleRuleError('reception deletes only the appointments it created; others it cancels');
		}
	});
}
