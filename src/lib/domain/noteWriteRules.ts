import * as Y from 'yjs';
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
				if (item && !item.deleted && isNew(transaction, item)) checkSignature(metaOf(key));
			}
			continue;
		}
		const noteId = type._item.parent === notes ? type._item.parentSub : null;
		if (noteId === null) continue;
		if (signedBefore(noteId)) throw new NoteRuleError('a signed note is locked');
		if (keys.has(SIGNED_AT) || keys.has(SIGNED_BY)) checkSignature(metaOf(noteId));
	}
}
