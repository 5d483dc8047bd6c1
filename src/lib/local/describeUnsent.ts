import * as Y from 'yjs';
import { parseDocName, type DocKind } from '$lib/domain/docName.ts';
import { listAppointments } from '$lib/domain/schedule.ts';

/** What happened to an appointment in changes the server has not confirmed. */
export type UnsentAction = 'added' | 'changed' | 'deleted';

/** An appointment touched by unsent changes; a deleted one is no longer on the device, so only its id is known. */
export interface UnsentAppointment {
	id: string;
	action: UnsentAction;
	/** The patient's contact id (new appointments); `readUnsent` adds their name from the device's patient table. */
	patientId?: string;
	patientName?: string;
	/** Clinic wall-clock start, `YYYY-MM-DDTHH:mm`. */
	start?: string;
}

/** One doc's changes the server has not confirmed, in the clinic's words where the doc's kind allows it. */
export interface UnsentDoc {
	docName: string;
	kind: DocKind;
	/** Local edits not confirmed (one per edit, as counted in the sync status). */
	changes: number;
	/** For a schedule doc: the appointments those edits touched, by start. Empty for other kinds. */
	appointments: UnsentAppointment[];
}

interface Touched {
	/** The entry itself was created by an unsent edit (a new appointment). */
	created: boolean;
	/** A field of the entry was set or removed. */
	edited: boolean;
	/** The entry was removed. */
	removed: boolean;
}

/**
 * Describes a doc's unconfirmed edits. `doc` holds everything the device has (the edits included), `updates` are the
 * edits themselves as recorded when they were made, `changes` their count (rows without a recorded update count too).
 * A schedule doc's top-level entries are its appointments, keyed by id: each edit is traced to the entry it is in,
 * and the entry is read back through the domain (`listAppointments`).
 */
export function describeUnsent(docName: string, doc: Y.Doc, updates: Uint8Array[], changes: number): UnsentDoc {
	const kind = parseDocName(docName)?.kind;
	if (!kind) throw new Error(`not a valid doc name: ${docName}`);
	if (kind !== 'schedule') return { docName, kind, changes, appointments: [] };
	const touched = touchedEntries(doc, updates);
	const live = new Map(listAppointments(doc).map((a) => [a.id, a]));
	const appointments: UnsentAppointment[] = [];
	for (const [id, t] of touched) {
		const appointment = live.get(id);
		if (appointment) {
			const { patientId, patientName, start } = appointment;
			appointments.push({ id, action: t.created ? 'added' : 'changed', patientId, patientName, start });
		} else if (t.removed && !t.created) {
			// Created and removed before the server saw either: nothing of it would be lost.
			appointments.push({ id, action: 'deleted' });
		}
	}
	appointments.sort((a, b) => (a.start ?? '\uffff').localeCompare(b.start ?? '\uffff') || a.id.localeCompare(b.id));
	return { docName, kind, changes, appointments };
}

function touchedEntries(doc: Y.Doc, updates: Uint8Array[]): Map<string, Touched> {
	const touched = new Map<string, Touched>();
	const mark = (key: string, what: keyof Touched) => {
		const t = touched.get(key) ?? { created: false, edited: false, removed: false };
		t[what] = true;
		touched.set(key, t);
	};
	for (const update of updates) {
		const { structs, ds } = Y.decodeUpdate(update);
		for (const struct of structs) {
			if (!(struct instanceof Y.Item)) continue;
			const item = integrated(doc, struct.id.client, struct.id.clock);
			const entry = item && entryOf(item);
			if (entry) mark(entry.key, entry.topLevel ? 'created' : 'edited');
		}
		for (const [client, deletions] of ds.clients) {
			for (const { clock, len } of deletions) {
				for (const item of itemsIn(doc, client, clock, len)) {
					const entry = entryOf(item);
					if (entry) mark(entry.key, entry.topLevel ? 'removed' : 'edited');
				}
			}
		}
	}
	return touched;
}

/** The doc's own item at this id (the decoded copy lacks its parent when it has an origin), or null if unknown or collected. */
function integrated(doc: Y.Doc, client: number, clock: number): Y.Item | null {
	const structs = doc.store.clients.get(client);
	if (!structs || clock >= Y.getState(doc.store, client)) return null;
	const struct = structs[Y.findIndexSS(structs, clock)];
	return struct instanceof Y.Item ? struct : null;
}

function* itemsIn(doc: Y.Doc, client: number, clock: number, len: number): Generator<Y.Item> {
	const structs = doc.store.clients.get(client);
	if (!structs || clock >= Y.getState(doc.store, client)) return;
	for (let i = Y.findIndexSS(structs, clock); i < structs.length && structs[i].id.clock < clock + len; i++) {
		const struct = structs[i];
		if (struct instanceof Y.Item) yield struct;
	}
}

/** The key of the top-level entry an item belongs to, and whether the item is that entry itself. */
function entryOf(item: Y.Item): { key: string; topLevel: boolean } | null {
	let current = item;
	for (let depth = 0; ; depth++) {
		const parent = current.parent;
		if (!(parent instanceof Y.AbstractType)) return null;
		if (parent._item === null) return current.parentSub === null ? null : { key: current.parentSub, topLevel: depth === 0 };
		current = parent._item;
	}
}
