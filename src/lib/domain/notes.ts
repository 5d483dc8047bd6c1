import * as Y from 'yjs';
import { z } from 'zod';
import { docId } from './fields.ts';
import { newId } from './ids.ts';

/**
 * A patient's notes: clinical ones in `<clinic>/note/<contactId>` (practitioners and admins only) and
 * administrative ones in `<clinic>/memo/<contactId>` (every staff member), the same shape in both. Each note is an
 * entry of the `notes` map (title, author, time, practitioner, signature) and a rich-text body, the root
 * `Y.XmlFragment` named `body:<noteId>` that the editor (Tiptap's collaboration extension) binds to. A root type
 * is never a conflict: two devices that open the same body both get the one fragment. Ids only as keys.
 */

export const MAX_TITLE_LENGTH = 200;
/** A patient's notes in one doc: far more than a record gathers in years, and a bound on what one device adds. */
export const MAX_NOTES = 500;

export interface NoteMeta {
	id: string;
	title: string;
	authorId: string;
	/** ISO time. */
	createdAt: string;
	/** For a clinical note, the practitioner it is about (the directory's id); else null. */
	practitionerId: string | null;
	/** Set once signed: the note is locked and later changes are addenda (notes of their own). */
	signedAt: string | null;
	signedBy: string | null;
	/** An addendum names the signed note it adds to. */
	addendumOf: string | null;
}

const isoTime = z.iso.datetime({ offset: true });
const meta = z.object({
	title: z.string().max(MAX_TITLE_LENGTH).catch(''),
	authorId: docId,
	createdAt: isoTime,
	practitionerId: docId.nullable().catch(null),
	signedAt: isoTime.nullable().catch(null),
	signedBy: docId.nullable().catch(null),
	addendumOf: docId.nullable().catch(null)
});

const NOTES = 'notes';
const BODY = 'body:';
const VERSIONS = 'versions';
/** Saved versions kept per note: the oldest go first past it (the content stays in the doc's history). */
export const MAX_VERSIONS_PER_NOTE = 100;
/** While a note is being written, a version is saved at most this often. */
export const VERSION_EVERY_MS = 10 * 60 * 1000;

function notesMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
	return doc.getMap(NOTES);
}

/** The name of a note's body fragment in its doc (what the editor binds to). */
export function noteBodyField(noteId: string): string {
	return BODY + noteId;
}

export function noteBody(doc: Y.Doc, noteId: string): Y.XmlFragment {
	return doc.getXmlFragment(noteBodyField(noteId));
}

function readFrom(id: string, entry: unknown): NoteMeta | null {
	if (!(entry instanceof Y.Map) || !docId.safeParse(id).success) return null;
	const parsed = meta.safeParse(Object.fromEntries(entry.entries()));
	return parsed.success ? { id, ...parsed.data } : null;
}

export function readNote(doc: Y.Doc, noteId: string): NoteMeta | null {
	return readFrom(noteId, notesMap(doc).get(noteId));
}

/** The doc's notes, newest first. */
export function listNotes(doc: Y.Doc): NoteMeta[] {
	const out: NoteMeta[] = [];
	for (const [id, entry] of notesMap(doc).entries()) {
		const note = readFrom(id, entry);
		if (note) out.push(note);
	}
	return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
}

/**
 * Whether two lists from `listNotes` say the same. Screens keep their list when it does: a note's body changes with
 * every keystroke (a doc update each), its list entry rarely.
 */
export function sameNotes(a: readonly NoteMeta[], b: readonly NoteMeta[]): boolean {
	return a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
}

export const noteInput = z.object({
	title: z.string().trim().max(MAX_TITLE_LENGTH),
	authorId: docId,
	practitionerId: docId.nullable().default(null),
	addendumOf: docId.nullable().default(null)
});
export type NoteInput = z.input<typeof noteInput>;

/** Adds a note (an empty body) and returns its id. An addendum may only add to a signed note. */
export function createNote(doc: Y.Doc, input: NoteInput, now: Date = new Date()): string {
	const parsed = noteInput.parse(input);
	if (notesMap(doc).size >= MAX_NOTES) throw new Error('too many notes for one patient');
	if (parsed.addendumOf && !readNote(doc, parsed.addendumOf)?.signedAt) throw new Error('an addendum adds to a signed note only');
	const id = newId();
	doc.transact(() => {
		const entry = new Y.Map<unknown>();
		notesMap(doc).set(id, entry);
		entry.set('title', parsed.title);
		entry.set('authorId', parsed.authorId);
		entry.set('createdAt', now.toISOString());
		entry.set('practitionerId', parsed.practitionerId);
		entry.set('signedAt', null);
		entry.set('signedBy', null);
		entry.set('addendumOf', parsed.addendumOf);
	});
	return id;
}

function entryOf(doc: Y.Doc, noteId: string): Y.Map<unknown> {
	const entry = notesMap(doc).get(noteId);
	if (!(entry instanceof Y.Map)) throw new Error(`no note ${noteId}`);
	return entry;
}

/** Renames a note; a signed note is locked. */
export function renameNote(doc: Y.Doc, noteId: string, title: string): void {
	const value = z.string().trim().max(MAX_TITLE_LENGTH).parse(title);
	if (readNote(doc, noteId)?.signedAt) throw new Error('a signed note is locked');
	const entry = entryOf(doc, noteId);
	if (entry.get('title') !== value) entry.set('title', value);
}

/** Signs (locks) a note: from now on its body and title do not change; what comes later is an addendum. */
export function signNote(doc: Y.Doc, noteId: string, by: { userId: string; at: Date }): void {
	const note = readNote(doc, noteId);
	if (!note) throw new Error(`no note ${noteId}`);
	if (note.signedAt) return;
	const entry = entryOf(doc, noteId);
	doc.transact(() => {
		entry.set('signedAt', by.at.toISOString());
		entry.set('signedBy', docId.parse(by.userId));
	});
}

/** A note's text without its formatting: blocks on their own lines (for previews and search). */
export function noteText(doc: Y.Doc, noteId: string): string {
	const lines: string[] = [];
	const walk = (node: Y.XmlElement | Y.XmlText | Y.XmlFragment) => {
		if (node instanceof Y.XmlText) {
			const text = (node.toDelta() as { insert: unknown }[]).map((d) => (typeof d.insert === 'string' ? d.insert : '')).join('');
			lines[lines.length - 1] = (lines[lines.length - 1] ?? '') + text;
			return;
		}
		for (const child of node.toArray()) {
			if (child instanceof Y.XmlElement && lines[lines.length - 1] !== '') lines.push('');
			if (child instanceof Y.XmlElement || child instanceof Y.XmlText) walk(child);
		}
	};
	lines.push('');
	walk(noteBody(doc, noteId));
	return lines
		.map((l) => l.trim())
		.filter((l) => l.length > 0)
		.join('\n');
}

/** A saved state of a note: the whole doc's Yjs snapshot (state vector and deletions) at that moment. */
export interface NoteVersion {
	id: string;
	noteId: string;
	at: string;
	by: string;
	/** `Y.encodeSnapshot`: shows the note as it was, in a doc that keeps its history (no garbage collection). */
	snapshot: Uint8Array;
}

const version = z.object({ noteId: docId, at: isoTime, by: docId, snapshot: z.instanceof(Uint8Array) });

function versionsMap(doc: Y.Doc): Y.Map<unknown> {
	return doc.getMap(VERSIONS);
}

/** A note's saved versions, newest first. */
export function listVersions(doc: Y.Doc, noteId: string): NoteVersion[] {
	const out: NoteVersion[] = [];
	for (const [id, value] of versionsMap(doc).entries()) {
		const parsed = version.safeParse(value);
		if (parsed.success && parsed.data.noteId === noteId && docId.safeParse(id).success) out.push({ id, ...parsed.data });
	}
	return out.sort((a, b) => b.at.localeCompare(a.at) || a.id.localeCompare(b.id));
}

/**
 * Saves the note as it is now (on demand, and on a schedule while it is written). Needs a doc that keeps its
 * history (`keepHistory` kinds: no garbage collection on server or device), or the snapshot could not be shown.
 */
export function saveVersion(doc: Y.Doc, noteId: string, by: { userId: string; at: Date }): string {
	if (doc.gc) throw new Error('versions need a doc that keeps its history');
	if (!readNote(doc, noteId)) throw new Error(`no note ${noteId}`);
	const id = newId();
	const versions = listVersions(doc, noteId);
	doc.transact(() => {
		for (const old of versions.slice(MAX_VERSIONS_PER_NOTE - 1)) versionsMap(doc).delete(old.id);
		versionsMap(doc).set(id, {
			noteId,
			at: by.at.toISOString(),
			by: docId.parse(by.userId),
			snapshot: Y.encodeSnapshot(Y.snapshot(doc))
		});
	});
	return id;
}

/** Whether the schedule calls for a version now: the note has content and its last version is old enough. */
export function versionDue(doc: Y.Doc, noteId: string, now: Date): boolean {
	if (noteBody(doc, noteId).length === 0) return false;
	const last = listVersions(doc, noteId)[0];
	return !last || now.getTime() - Date.parse(last.at) >= VERSION_EVERY_MS;
}

/** The note's body as it was at a version: a fragment of a doc built from the snapshot (read it, do not edit it). */
export function bodyAt(doc: Y.Doc, noteVersion: NoteVersion): Y.XmlFragment {
	const past = Y.createDocFromSnapshot(doc, Y.decodeSnapshot(noteVersion.snapshot));
	return past.getXmlFragment(noteBodyField(noteVersion.noteId));
}

/**
 * Restores a version as a new edit: the body's present content is replaced by the version's, so the restore is
 * itself in the history (and can be undone by restoring again). A signed note is locked.
 */
export function restoreVersion(doc: Y.Doc, noteVersion: NoteVersion): void {
	const note = readNote(doc, noteVersion.noteId);
	if (!note) throw new Error(`no note ${noteVersion.noteId}`);
	if (note.signedAt) throw new Error('a signed note is locked');
	const past = bodyAt(doc, noteVersion)
		.toArray()
		.map((node) => (node instanceof Y.XmlElement || node instanceof Y.XmlText ? node.clone() : null))
		.filter((node) => node !== null);
	const body = noteBody(doc, noteVersion.noteId);
	doc.transact(() => {
		body.delete(0, body.length);
		body.insert(0, past);
	});
}
