import * as Y from 'yjs';
import { z } from 'zod';
import { docId, hexColor, readEntry } from './fields.ts';
import { newId } from './ids.ts';

/**
 * The directory's ordered lists (practitioners, rooms, services): each entry a Y.Map under its id, so two admins
 * editing different fields both keep their edit, with a fractional `position` that sets the order admins chose.
 * A move changes only the moved entry's position, so moves made on two devices merge field by field into one
 * order, and no entry can be lost by a reorder. Entries without a position (written before there was one) come
 * after the others, by name.
 */

/** Distinct colours to offer for columns and appointments, in the order they are handed out. */
export const PALETTE = [
	'#0f766e',
	'#7c3aed',
	'#c2410c',
	'#1d4ed8',
	'#be123c',
	'#15803d',
	'#a16207',
	'#0e7490',
	'#9333ea',
	'#4d7c0f',
	'#b45309',
	'#475569'
].map((c) => hexColor.parse(c));

export const entryName = z.string().trim().min(1, 'catalog.name').max(120, 'catalog.name');

const position = z.number().finite().optional().catch(undefined);

/** The fields every ordered entry has. */
export const orderedFields = {
	name: entryName,
	position
};

export interface OrderedEntry<T> {
	id: string;
	position: number | undefined;
	value: T;
}

/** Valid entries of `map` by position (then name, then id, so every device sorts ties alike); others skipped. */
export function readOrdered<S extends z.ZodType<{ name: string; position?: number }>>(
	map: Y.Map<unknown>,
	schema: S
): OrderedEntry<z.output<S>>[] {
	const list: OrderedEntry<z.output<S>>[] = [];
	for (const [id, entry] of map) {
		const value = docId.safeParse(id).success ? readEntry(entry, schema) : null;
		if (value) list.push({ id, position: value.position, value });
	}
	return list.sort(
		(a, b) =>
			(a.position ?? Infinity) - (b.position ?? Infinity) ||
			a.value.name.localeCompare(b.value.name, 'tr') ||
			(a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
	);
}

/** Adds an entry after the last one; returns its id. */
export function addOrdered(doc: Y.Doc, map: Y.Map<unknown>, fields: Record<string, unknown>): string {
	const id = newId();
	const last = Math.max(0, ...[...map.values()].map((e) => (e instanceof Y.Map ? e.get('position') : 0)).filter(isFiniteNumber));
	doc.transact(() => {
		const entry = new Y.Map<unknown>();
		for (const [k, v] of Object.entries({ ...fields, position: last + 1 })) if (v !== undefined) entry.set(k, v);
		map.set(id, entry);
	});
	return id;
}

/** Sets the given fields of an entry (only those that differ, so an unchanged field never wins a merge). */
export function setFields(doc: Y.Doc, map: Y.Map<unknown>, id: string, fields: Record<string, unknown>): void {
	const entry = entryOf(map, id);
	doc.transact(() => {
		for (const [k, v] of Object.entries(fields)) {
			if (v === undefined || entry.get(k) === v) continue;
			entry.set(k, v);
		}
	});
}

/** Removes a field, e.g. a practitioner's own hours for a weekday, so the clinic's apply again. */
export function clearField(doc: Y.Doc, map: Y.Map<unknown>, id: string, field: string): void {
	const entry = entryOf(map, id);
	if (entry.has(field)) doc.transact(() => entry.delete(field));
}

/**
 * Moves entry `id` to `toIndex` of `order` (the current order, as `readOrdered` gives it). Only the moved entry's
 * position changes, to the midpoint of its new neighbours; when they have no room between them (or no position
 * yet), every entry is renumbered once.
 */
export function moveOrdered(doc: Y.Doc, map: Y.Map<unknown>, order: OrderedEntry<unknown>[], id: string, toIndex: number) {
	const from = order.findIndex((e) => e.id === id);
	if (from < 0) throw new CatalogError('catalog.missing');
	const to = Math.max(0, Math.min(order.length - 1, Math.trunc(toIndex)));
	if (from === to) return;
	const moved = order.slice();
	const [entry] = moved.splice(from, 1);
	moved.splice(to, 0, entry);
	const before = moved[to - 1]?.position;
	const after = moved[to + 1]?.position;
	const target =
		to === 0
			? after === undefined
				? undefined
				: after - 1
			: to === moved.length - 1
				? before === undefined
					? undefined
					: before + 1
				: before === undefined || after === undefined
					? undefined
					: (before + after) / 2;
	const roomy = target !== undefined && target !== before && target !== after && Number.isFinite(target);
	doc.transact(() => {
		if (roomy) entryOf(map, id).set('position', target);
		else moved.forEach((e, i) => e.position !== i + 1 && entryOf(map, e.id).set('position', i + 1));
	});
}

/** A write to an entry that is not there (another admin may have just removed it). */
export class CatalogError extends Error {
	override name = 'CatalogError';
}

function entryOf(map: Y.Map<unknown>, id: string): Y.Map<unknown> {
	const entry = map.get(id);
	if (!(entry instanceof Y.Map)) throw new CatalogError('catalog.missing');
	return entry;
}

function isFiniteNumber(v: unknown): v is number {
	return typeof v === 'number' && Number.isFinite(v);
}
