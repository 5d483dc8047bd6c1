import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { createNote, noteBody, noteBodyField, readNote, type NoteMeta } from './notes.ts';
import { MAX_RESCUED_RANGES, RESCUED_FIELDS, rescuedRanges } from './noteWriteRules.ts';

/**
 * A device that wrote into a clinical note offline while the practitioner signed it elsewhere (NOTES-SIGN-2): the
 * server refuses every change of a signed note (NOTES-SIGN-1), and it refuses a whole update, so before this the
 * device's sync step 2 was refused on every reconnect and nothing it wrote in that patient's notes ever arrived.
 * Now, when it reconnects, the device
 * - turns what it wrote into the signed note into an addendum of its own (the note's body as the device had it), and
 * - sends the server everything else: the device's changes of signed notes go as Yjs "GC" placeholders (the clocks
 *   without content; the server integrates them as deleted, which changes nothing), its deletions in them not at all.
 *   The server's delete set then holds those clocks, so what the device added to the signed note is deleted on the
 *   device too as soon as it next hears that set; what it deleted stays deleted there (Yjs cannot undelete), so the
 *   device shows such a note from a snapshot without its rescued edits (`signedBodyAsOnServer`).
 * The map and field names are those of `notes.ts`; the rules are those of `noteWriteRules.ts`.
 */

const NOTES = 'notes';
const BODY = 'body:';
const SIGNED_AT = 'signedAt';

type StateVector = Map<number, number>;
/** A Yjs delete set as `Y.decodeUpdate` reads one: per client, its deleted clock ranges. */
export interface DeleteSetOf {
	clients: Map<number, { clock: number; len: number }[]>;
}

const held = (sv: StateVector, id: Y.ID) => id.clock < (sv.get(id.client) ?? 0);

/** The notes signed on the server: their signature is among the changes it holds. */
export function notesSignedOnServer(doc: Y.Doc, serverState: StateVector): Set<string> {
	const locked = new Set<string>();
	for (const [noteId, item] of doc.getMap(NOTES)._map) {
		if (item.deleted || !(item.content instanceof Y.ContentType)) continue;
		const signature = (item.content.type as Y.Map<unknown>)._map.get(SIGNED_AT);
		if (!signature || signature.deleted || signature.content.getContent()[0] == null) continue;
		if (held(serverState, signature.id)) locked.add(noteId);
	}
	return locked;
}

/** Finds which note an item of the doc belongs to: its body (a root fragment) or its entry in the notes map. */
class NoteOfItem {
	readonly #roots = new Map<unknown, string>();

	constructor(doc: Y.Doc) {
		for (const [name, type] of doc.share) this.#roots.set(type, name);
	}

	of(item: Y.Item): string | null {
		let child: Y.Item = item;
		let parent = item.parent as Y.AbstractType<unknown> | null;
		while (parent && parent._item) {
			child = parent._item;
			parent = child.parent as Y.AbstractType<unknown> | null;
		}
		const root = parent ? this.#roots.get(parent) : undefined;
		if (root?.startsWith(BODY)) return root.slice(BODY.length);
		if (root === NOTES) return child.parentSub;
		return null;
	}
}

/** Deleted clock ranges, `[client, clock, len]` each, as an addendum records what it rescued (`rescued`). */
type Ranges = [client: number, clock: number, len: number][];
const RESCUED = RESCUED_FIELDS.deleted;
/** The same for what the device added to the signed note (the server holds those clocks as placeholders). */
const RESCUED_ADDED = RESCUED_FIELDS.added;

/**
 * Ranges as an addendum records them: adjacent ones joined, at most the rules' bound (past it, what is left out is
 * only rescued again after a reload, or shown until the server's delete set arrives), flat.
 */
function recorded(ranges: Ranges): number[] {
	const joined: Ranges = [];
	for (const [client, clock, len] of [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
		const last = joined[joined.length - 1];
		if (last && last[0] === client && last[1] + last[2] === clock) last[2] += len;
		else joined.push([client, clock, len]);
	}
	return joined.slice(0, MAX_RESCUED_RANGES).flat();
}

function covered(ranges: Iterable<{ clock: number; len: number }> | undefined, clock: number, len: number): boolean {
	for (const r of ranges ?? []) if (r.clock <= clock && clock + len <= r.clock + r.len) return true;
	return false;
}

/**
 * Deletions (or, with `field`, additions) earlier addenda of this doc rescued (so they are never rescued twice, e.g.
 * after a reload), of every signed note or of the one named.
 */
function rescuedBefore(doc: Y.Doc, field: string = RESCUED, ofNote?: string): DeleteSetOf {
	const out: DeleteSetOf = { clients: new Map() };
	for (const item of doc.getMap(NOTES)._map.values()) {
		if (item.deleted || !(item.content instanceof Y.ContentType)) continue;
		const entry = item.content.type as Y.Map<unknown>;
		if (ofNote !== undefined && entry.get('addendumOf') !== ofNote) continue;
		// Read as the server's rules take them: anything else (from a device before them) is left out.
		for (const [client, clock, len] of rescuedRanges(entry.get(field)) ?? []) {
			const list = out.clients.get(client) ?? [];
			list.push({ clock, len });
			out.clients.set(client, list);
		}
	}
	return out;
}

/**
 * Per note signed on the server, the device's changes of it the server does not hold: what it added (items past the
 * server's state vector), and its deletions that neither the server's delete set nor an earlier rescue holds.
 */
function editsOfSignedNotes(
	doc: Y.Doc,
	serverState: StateVector,
	serverDeletions: DeleteSetOf
): Map<string, { added: Ranges; deleted: Ranges }> {
	const edits = new Map<string, { added: Ranges; deleted: Ranges }>();
	const locked = notesSignedOnServer(doc, serverState);
	if (locked.size === 0) return edits;
	const noteOf = new NoteOfItem(doc);
	const rescued = rescuedBefore(doc);
	for (const structs of doc.store.clients.values())
		for (const s of structs) {
			if (!(s instanceof Y.Item)) continue;
			const { client, clock } = s.id;
			const added = clock + s.length > (serverState.get(client) ?? 0);
			const deleted =
				s.deleted &&
				!covered(serverDeletions.clients.get(client), clock, s.length) &&
				!covered(rescued.clients.get(client), clock, s.length);
			if (!added && !deleted) continue;
			const noteId = noteOf.of(s);
			if (noteId === null || !locked.has(noteId)) continue;
			const entry = edits.get(noteId) ?? { added: [], deleted: [] };
			if (added) {
				const from = Math.max(clock, serverState.get(client) ?? 0);
				entry.added.push([client, from, clock + s.length - from]);
			} else entry.deleted.push([client, clock, s.length]);
			edits.set(noteId, entry);
		}
	return edits;
}

/** Whether the device holds changes of a note signed on the server that the server does not (nor a rescue). */
export function hasSignedNoteEdits(doc: Y.Doc, serverState: StateVector, serverDeletions: DeleteSetOf): boolean {
	return editsOfSignedNotes(doc, serverState, serverDeletions).size > 0;
}

/**
 * Copies the device's version of each note signed on the server that it changed offline into an addendum (one per
 * note, by `author`, titled by `titleOf`), and returns the addenda's ids. The addendum records the deletions it
 * rescued, which the server will never hold, so that they are not rescued again. Whether the device's version
 * differs is read against the server's, from a snapshot of its state vector and delete set, so the doc must keep
 * its history (note docs do: no garbage collection).
 */
export function rescueSignedNoteEdits(
	doc: Y.Doc,
	serverState: StateVector,
	serverDeletions: DeleteSetOf,
	author: { userId: string; titleOf: (note: NoteMeta) => string; now?: Date }
): string[] {
	const edits = editsOfSignedNotes(doc, serverState, serverDeletions);
	if (edits.size === 0) return [];
	const onServer = Y.createDocFromSnapshot(
		doc,
		Y.createSnapshot(serverDeletions as Parameters<typeof Y.createSnapshot>[0], serverState)
	);
	const addenda: string[] = [];
	for (const [noteId, { added, deleted }] of edits) {
		const mine = readNote(doc, noteId);
		const theirs = readNote(onServer, noteId);
		if (!mine || !theirs) continue;
		const body = noteBody(doc, noteId);
		const serverBody = onServer.getXmlFragment(noteBodyField(noteId));
		if (body.toString() === serverBody.toString() && mine.title === theirs.title) continue;
		doc.transact(() => {
			const addendum = createNote(
				doc,
				{ title: author.titleOf(mine), authorId: author.userId, practitionerId: theirs.practitionerId, addendumOf: noteId },
				author.now ?? new Date()
			);
			noteBody(doc, addendum).insert(0, copyOf(body));
			const entry = doc.getMap<Y.Map<unknown>>(NOTES).get(addendum);
			if (deleted.length > 0) entry?.set(RESCUED, recorded(deleted));
			if (added.length > 0) entry?.set(RESCUED_ADDED, recorded(added));
			addenda.push(addendum);
		});
	}
	onServer.destroy();
	return addenda;
}

function copyOf(fragment: Y.XmlFragment): (Y.XmlElement | Y.XmlText)[] {
	return fragment
		.toArray()
		.map((node) => (node instanceof Y.XmlElement || node instanceof Y.XmlText ? node.clone() : null))
		.filter((node) => node !== null);
}

/**
 * What the server lacks (from its state vector), as one update it accepts: as `Y.encodeStateAsUpdate(doc,
 * serverState)`, except that items of notes signed on the server go as placeholders of the same clocks (the
 * server must get every clock of a client, or it holds back what follows) and deletions in them are left out.
 * Returns the update and the deletions left out (they will never be on the server: the device counts them as
 * settled, not as unsent).
 */
export function updateForServer(doc: Y.Doc, serverState: StateVector): { update: Uint8Array; withheld: DeleteSetOf } {
	const locked = notesSignedOnServer(doc, serverState);
	const withheld: DeleteSetOf = { clients: new Map() };
	if (locked.size === 0) return { update: Y.encodeStateAsUpdate(doc, Y.encodeStateVector(serverState)), withheld };
	const noteOf = new NoteOfItem(doc);
	const isLocked = (s: Y.Item | Y.GC) => s instanceof Y.Item && locked.has(noteOf.of(s) ?? '');

	const encoder = new Y.UpdateEncoderV1();
	const clients = [...doc.store.clients]
		.filter(([client, structs]) => {
			const last = structs[structs.length - 1];
			return last.id.clock + last.length > (serverState.get(client) ?? 0);
		})
		.sort((a, b) => b[0] - a[0]);
	encoding.writeVarUint(encoder.restEncoder, clients.length);
	for (const [client, structs] of clients) {
		const clock = Math.max(serverState.get(client) ?? 0, structs[0].id.clock);
		let start = 0;
		while (structs[start].id.clock + structs[start].length <= clock) start++;
		encoding.writeVarUint(encoder.restEncoder, structs.length - start);
		encoder.writeClient(client);
		encoding.writeVarUint(encoder.restEncoder, clock);
		for (let i = start; i < structs.length; i++) {
			const s = structs[i] as Y.Item | Y.GC;
			const offset = i === start ? clock - s.id.clock : 0;
			if (isLocked(s)) new Y.GC(s.id, s.length).write(encoder, offset);
			else s.write(encoder, offset);
		}
	}

	// The delete set, as Yjs writes it from the store (runs of deleted structs per client), without the locked notes'.
	const deletions: [number, [number, number][]][] = [];
	for (const [client, structs] of doc.store.clients) {
		const ranges: [number, number][] = [];
		const away: [number, number][] = [];
		for (const s of structs as (Y.Item | Y.GC)[]) {
			if (!s.deleted) continue;
			const into = isLocked(s) ? away : ranges;
			const last = into[into.length - 1];
			if (last && last[0] + last[1] === s.id.clock) last[1] += s.length;
			else into.push([s.id.clock, s.length]);
		}
		if (ranges.length > 0) deletions.push([client, ranges]);
		if (away.length > 0)
			withheld.clients.set(
				client,
				away.map(([clock, len]) => ({ clock, len }))
			);
	}
	encoding.writeVarUint(encoder.restEncoder, deletions.length);
	for (const [client, ranges] of deletions) {
		encoder.resetDsCurVal();
		encoding.writeVarUint(encoder.restEncoder, client);
		encoding.writeVarUint(encoder.restEncoder, ranges.length);
		for (const [clock, len] of ranges) {
			encoder.writeDsClock(clock);
			encoder.writeDsLen(len);
		}
	}
	return { update: encoder.toUint8Array(), withheld };
}

/**
 * A clinical notes doc's answer to the server's step 1: the offline edits of notes signed meanwhile are rescued into
 * addenda first, then everything the server lacks goes without them.
 */
export function answerToNotes(
	doc: Y.Doc,
	serverState: StateVector,
	serverDeletions: DeleteSetOf,
	author: { userId: string; titleOf: (note: NoteMeta) => string; now?: Date }
): { update: Uint8Array; withheld: DeleteSetOf } {
	rescueSignedNoteEdits(doc, serverState, serverDeletions, author);
	return updateForServer(doc, serverState);
}

/**
 * A signed note as the server and every other device have it, for a device that rescued its offline edits of it
 * (NOTES-SIGN-2): its own copy keeps the deletions it made (Yjs cannot undelete), so the note is shown from a
 * snapshot of the doc without them, and without what it added: the body, and the title it was signed with (a title
 * the device changed offline is gone from its copy: it deleted the signed one, the server's delete set its own).
 * Null when this device rescued nothing of the note: its copy is the server's. Needs a doc that keeps its history
 * (note docs do).
 */
export function signedNoteAsOnServer(doc: Y.Doc, noteId: string): { body: Y.XmlFragment; title: string } | null {
	const deleted = rescuedBefore(doc, RESCUED, noteId);
	const added = rescuedBefore(doc, RESCUED_ADDED, noteId);
	if (deleted.clients.size === 0 && added.clients.size === 0) return null;
	const live = Y.createDeleteSetFromStructStore(doc.store) as unknown as DeleteSetOf;
	const shown: DeleteSetOf = { clients: new Map() };
	for (const client of new Set([...live.clients.keys(), ...added.clients.keys()])) {
		const kept = subtract(toIntervals(live.clients.get(client)), toIntervals(deleted.clients.get(client)));
		const all = union(kept, toIntervals(added.clients.get(client)));
		if (all.length > 0)
			shown.clients.set(
				client,
				all.map(([from, to]) => ({ clock: from, len: to - from }))
			);
	}
	const state = Y.decodeStateVector(Y.encodeStateVector(doc));
	const view = Y.createDocFromSnapshot(doc, Y.createSnapshot(shown as Parameters<typeof Y.createSnapshot>[0], state));
	return { body: view.getXmlFragment(noteBodyField(noteId)), title: titleOnServer(doc, noteId, deleted, added) };
}

/**
 * The title the server has, read from the device's copy: a map field is its last value, and the device's own new
 * title (one of `added`: a placeholder on the server, where it never took the signed title's place) is passed over
 * to the one before it, which the server still shows unless it was deleted there too (not only by a rescued
 * deletion). Not from a snapshot view: integrating the new title there deletes the one before it again.
 */
function titleOnServer(doc: Y.Doc, noteId: string, deleted: DeleteSetOf, added: DeleteSetOf): string {
	const entry = doc.getMap(NOTES)._map.get(noteId);
	if (!entry || !(entry.content instanceof Y.ContentType)) return '';
	let item = (entry.content.type as Y.Map<unknown>)._map.get('title') ?? null;
	while (item && covered(added.clients.get(item.id.client), item.id.clock, item.length)) item = item.left as Y.Item | null;
	if (!item || (item.deleted && !covered(deleted.clients.get(item.id.client), item.id.clock, item.length))) return '';
	const value: unknown = item.content.getContent()[item.length - 1];
	return typeof value === 'string' ? value : '';
}

/** `signedNoteAsOnServer`'s body. */
export function signedBodyAsOnServer(doc: Y.Doc, noteId: string): Y.XmlFragment | null {
	return signedNoteAsOnServer(doc, noteId)?.body ?? null;
}

/**
 * The notes as this device shows them: a signed note left without a title in its copy (its title changed offline
 * and rescued) is listed under the title it was signed with. Read from the copy's items, without a snapshot: this
 * runs on every change of the doc (each keystroke in another note), and costs a walk of the notes' entries only
 * for signed notes without a title.
 */
export function withSignedTitles(doc: Y.Doc, notes: NoteMeta[]): NoteMeta[] {
	if (!notes.some((note) => note.signedAt && note.title === '')) return notes;
	return notes.map((note) => {
		if (!note.signedAt || note.title !== '') return note;
		const deleted = rescuedBefore(doc, RESCUED, note.id);
		const added = rescuedBefore(doc, RESCUED_ADDED, note.id);
		if (deleted.clients.size === 0 && added.clients.size === 0) return note;
		const title = titleOnServer(doc, note.id, deleted, added);
		return title === '' ? note : { ...note, title };
	});
}

type Interval = [from: number, to: number];

const toIntervals = (ranges: { clock: number; len: number }[] | undefined): Interval[] =>
	(ranges ?? []).map((r): Interval => [r.clock, r.clock + r.len]).sort((a, b) => a[0] - b[0]);

function union(a: Interval[], b: Interval[]): Interval[] {
	const out: Interval[] = [];
	for (const [from, to] of [...a, ...b].sort((x, y) => x[0] - y[0])) {
		const last = out[out.length - 1];
		if (last && from <= last[1]) last[1] = Math.max(last[1], to);
		else out.push([from, to]);
	}
	return out;
}

/** `a` without `b`, both sorted by start, in one pass (`b` is joined first, so its pieces never overlap). */
function subtract(a: Interval[], b: Interval[]): Interval[] {
	const cuts = union(b, []);
	const out: Interval[] = [];
	let next = 0;
	for (const [from, to] of a) {
		while (next < cuts.length && cuts[next][1] <= from) next++;
		let start = from;
		for (let k = next; k < cuts.length && cuts[k][0] < to; k++) {
			if (cuts[k][0] > start) out.push([start, cuts[k][0]]);
			start = Math.max(start, cuts[k][1]);
		}
		if (start < to) out.push([start, to]);
	}
	return out;
}
