import * as Y from 'yjs';
import { z } from 'zod';
import type { Role } from './roles.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types its roots with `any` events
type AnyType = Y.AbstractType<any>;

/**
 * The notes' lock, checked on one writer's transaction before it is stored (the server refuses the whole update;
 * the device's editor is read-only for a signed note): a signed note's body and fields never change and the note
 * is never removed; signing is for practitioners and admins, on clinical notes, in their own name. The map and
 * field names are those of `notes.ts`.
 */
export interface NoteWriter {
	userId: string;
	role: Role;
}

export class NoteRuleError extends Error {
	override name = 'NoteRuleError';
}

const NOTES = 'notes';
const BODY = 'body:';
const SIGNED_AT = 'signedAt';
const SIGNED_BY = 'signedBy';
const ADDENDUM_OF = 'addendumOf';

/**
 * What an addendum rescued from a note signed while a device wrote into it offline (NOTES-SIGN-2), as flat
 * `[client, clock, len, …]` clock ranges: `rescued`, the device's deletions in the note the server never got, and
 * `rescuedAdded`, what it added there, which the server holds as placeholders. Every device shows the signed note
 * without the first and with the second removed, so the server takes them only when they say what it holds.
 */
export const RESCUED_FIELDS = { deleted: 'rescued', added: 'rescuedAdded' } as const;
/** Ranges one field may list; more are left unrecorded by the device (it would only rescue them again). */
export const MAX_RESCUED_RANGES = 5_000;
const clockNumber = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const rescuedFlat = z
	.array(clockNumber)
	.min(3)
	.max(3 * MAX_RESCUED_RANGES)
	.refine((flat) => flat.length % 3 === 0 && flat.every((n, i) => i % 3 !== 2 || n > 0));

/** A rescued field's ranges, or null when it is not a well-formed, bounded list of them. */
export function rescuedRanges(value: unknown): [client: number, clock: number, len: number][] | null {
	const parsed = rescuedFlat.safeParse(value);
	if (!parsed.success) return null;
	const ranges: [number, number, number][] = [];
	for (let i = 0; i < parsed.data.length; i += 3) ranges.push([parsed.data[i], parsed.data[i + 1], parsed.data[i + 2]]);
	return ranges;
}

/** Whether `test` holds for every struct of the doc in `client`'s clocks [clock, clock + len), all of them held. */
function everyStructIn(doc: Y.Doc, [client, clock, len]: [number, number, number], test: (s: Y.Item | Y.GC) => boolean) {
	const structs = doc.store.clients.get(client) as (Y.Item | Y.GC)[] | undefined;
	if (!structs || Y.getState(doc.store, client) < clock + len) return false;
	for (let i = Y.findIndexSS(structs as never, clock); i < structs.length && structs[i].id.clock < clock + len; i++)
		if (!test(structs[i])) return false;
	return true;
}

/** Whether an item was made in this transaction (its clock is past what the doc had before it). */
function isNew(transaction: Y.Transaction, item: Y.Item): boolean {
	return item.id.clock >= (transaction.beforeState.get(item.id.client) ?? 0);
}

const valueOf = (item: Y.Item | null): unknown => (item ? item.content.getContent()[item.length - 1] : undefined);

/** A Y.Map's field as it was before the transaction (a field set in it replaced the item on its left). */
function fieldBefore(transaction: Y.Transaction, map: Y.Map<unknown>, key: string): unknown {
	let item = map._map.get(key) ?? null;
	while (item && isNew(transaction, item)) item = item.left as Y.Item | null;
	return valueOf(item);
}

/** The same root type, also when the doc named it (`getMap`, `getXmlFragment`) after the update created it. */
function sameRoot(a: AnyType, b: AnyType): boolean {
	return a === b || (a._map === b._map && a._start === b._start);
}

/** The name of the root a type belongs to (walking up its parents), or null. */
function rootName(doc: Y.Doc, type: AnyType): string | null {
	let root = type;
	while (root._item !== null) root = root._item.parent as AnyType;
	for (const [name, shared] of doc.share) if (sameRoot(shared, root)) return name;
	return null;
}

/** Throws a NoteRuleError naming the first rule this transaction breaks. */
export function checkNoteWrite(transaction: Y.Transaction, kind: 'note' | 'memo', writer: NoteWriter): void {
	const doc = transaction.doc;
	const notes = doc.getMap<unknown>(NOTES);
	const metaOf = (noteId: string): Y.Map<unknown> | null => {
		const item = notes._map.get(noteId);
		return item && item.content instanceof Y.ContentType ? (item.content.type as Y.Map<unknown>) : null;
	};
	const signedBefore = (noteId: string): boolean => {
		const meta = metaOf(noteId);
		const item = notes._map.get(noteId);
		// A note made in this transaction was not signed before it.
		if (!meta || !item || isNew(transaction, item)) return false;
		return fieldBefore(transaction, meta, SIGNED_AT) != null;
	};

	const checkSignature = (meta: Y.Map<unknown> | null) => {
		const signedAt = meta?.get(SIGNED_AT);
		const signedBy = meta?.get(SIGNED_BY);
		if (signedAt == null && signedBy == null) return; // not signed
		if (kind !== 'note') throw new NoteRuleError('only clinical notes are signed');
		if (writer.role !== 'practitioner' && writer.role !== 'admin')
			throw new NoteRuleError('only practitioners and admins sign notes');
		if (signedBy !== writer.userId || typeof signedAt !== 'string')
			throw new NoteRuleError('a note is signed in its signer’s own name');
	};

	// An addendum's record of rescued edits: set once (also in a later update than the addendum, when the device's
	// answer came in pieces), and only as it is: deletions of text the signed note shows, additions the server holds
	// as placeholders. Anything else would make every device show a signed note other than it was signed.
	const checkRescued = (meta: Y.Map<unknown> | null, fields: Iterable<string | null>, noteIsNew: boolean) => {
		for (const field of fields) {
			if (field !== RESCUED_FIELDS.deleted && field !== RESCUED_FIELDS.added) continue;
			if (noteIsNew && !meta?.has(field)) continue;
			if (!meta || (!noteIsNew && fieldBefore(transaction, meta, field) !== undefined))
				throw new NoteRuleError('what an addendum rescued never changes');
			if (!meta.has(field)) continue;
			const of = meta.get(ADDENDUM_OF);
			if (kind !== 'note' || typeof of !== 'string') throw new NoteRuleError('only an addendum records rescued edits');
			const ranges = rescuedRanges(meta.get(field));
			if (!ranges) throw new NoteRuleError(`rescued edits are at most ${MAX_RESCUED_RANGES} clock ranges`);
			const signedMeta = metaOf(of);
			// The signed note's body, or its entry (a title changed offline is rescued too).
			const inSignedNote = (s: Y.Item | Y.GC) =>
				s instanceof Y.Item &&
				s.parent instanceof Y.AbstractType &&
				((signedMeta !== null && s.parent === signedMeta) || rootName(doc, s.parent) === BODY + of);
			const held =
				field === RESCUED_FIELDS.deleted
					? (s: Y.Item | Y.GC) => inSignedNote(s) && !s.deleted
					: (s: Y.Item | Y.GC) => s instanceof Y.GC;
			if (!ranges.every((range) => everyStructIn(doc, range, held)))
				throw new NoteRuleError('rescued edits name only what the server holds of the signed note');
		}
	};

	for (const [type, keys] of transaction.changed) {
		const name = rootName(doc, type);
		if (name?.startsWith(BODY)) {
			if (signedBefore(name.slice(BODY.length))) throw new NoteRuleError('a signed note is locked');
			continue;
		}
		if (name !== NOTES) continue;
		if (type._item === null) {
			// The notes map itself: a note added, replaced or removed.
			for (const key of keys) {
				if (key === null) continue;
				const item = notes._map.get(key);
				const before = item && isNew(transaction, item) ? (item.left as Y.Item | null) : item;
				const was = before?.content instanceof Y.ContentType ? (before.content.type as Y.Map<unknown>) : null;
				const changedHere = item?.deleted || (item && isNew(transaction, item) && before);
				if (changedHere && was && valueOf(was._map.get(SIGNED_AT) ?? null) != null)
					throw new NoteRuleError('a signed note is never removed');
				// A note made here (its fields are not in `changed`): signed at birth only by the rules of signing.
				if (item && !item.deleted && isNew(transaction, item)) {
					checkSignature(metaOf(key));
					checkRescued(metaOf(key), Object.values(RESCUED_FIELDS), true);
				}
			}
			continue;
		}
		const noteId = type._item.parent === notes ? type._item.parentSub : null;
		if (noteId === null) continue;
		if (signedBefore(noteId)) throw new NoteRuleError('a signed note is locked');
		if (keys.has(SIGNED_AT) || keys.has(SIGNED_BY)) checkSignature(metaOf(noteId));
		checkRescued(metaOf(noteId), keys, false);
	}
}
