import * as Y from 'yjs';
import { contactLabel, observeContacts } from '$lib/domain/contacts.ts';
import { listPatients, readPatient, type Patient } from '$lib/domain/patients.ts';
import { foldText, phoneKeys, queryWords, searchWords } from '$lib/domain/textSearch.ts';
import type { FrontdeskDatabase } from './db.ts';
import type { PatientRow } from './patientTables.ts';

const MARK = 'patients';
/** Set once the table held what the server had when this device first synced the contacts doc. */
const SYNCED_MARK = 'patients:synced';
/** Rows written per IndexedDB transaction while rebuilding, so the screen stays responsive. */
const CHUNK = 500;

function rowOf(patient: Patient): PatientRow {
	return {
		id: patient.id,
		patient,
		sortKey: `${foldText(contactLabel(patient))}\u0000${patient.id}`,
		words: [
			...new Set([
				...searchWords(patient.name),
				...patient.phones.flatMap(phoneKeys),
				...patient.emails.flatMap((e) => searchWords(e.replace('@', ' '))),
				...patient.tags.flatMap((t) => searchWords(t))
			])
		],
		tags: patient.tags
	};
}

/**
 * Keeps the `patientRows` query table from the contacts doc: rebuilt when started unless it was built from the
 * doc's present state, then row by row as patients change, also from other devices.
 */
export class PatientIndex {
	readonly #db: FrontdeskDatabase;
	readonly #contacts: Y.Doc;
	#stop: () => void = () => {};
	#queue: Promise<void> = Promise.resolve();
	#stopped = false;

	constructor(db: FrontdeskDatabase, contacts: Y.Doc) {
		this.#db = db;
		this.#contacts = contacts;
	}

	/** Resolves once the table is current. */
	start(): Promise<void> {
		// Each change is indexed with the doc's state right after it, so the mark never claims a change whose rows
		// still wait in the queue.
		this.#stop = observeContacts(this.#contacts, (ids) => {
			const state = this.#state();
			void this.#enqueue(() => this.#reindex(ids, state));
		});
		return this.#enqueue(async () => {
			const mark = await this.#db.indexMarks.get(MARK);
			if (mark?.state !== this.#state()) await this.#rebuild();
		});
	}

	/**
	 * Resolves once the table holds the server's patients: after `whenSynced` (the contacts doc's first sync) on a
	 * device that never had them, at once on one that did. Before that an empty answer means "not yet", not "none".
	 * Call after `start`.
	 */
	async synced(whenSynced: Promise<void>): Promise<void> {
		if (await holdsServerPatients(this.#db)) return;
		await whenSynced;
		// The sync's changes were queued as it applied them: once they are in the table, it holds the server's patients.
		await this.current();
		if (!this.#stopped) await this.#db.indexMarks.put({ name: SYNCED_MARK, state: this.#state() });
	}

	stop(): void {
		this.#stopped = true;
		this.#stop();
	}

	/** Resolves once every change observed so far is in the table. */
	current(): Promise<void> {
		return this.#enqueue(async () => {});
	}

	#state(): string {
		return btoa(String.fromCharCode(...Y.encodeStateVector(this.#contacts)));
	}

	#enqueue(work: () => Promise<void>): Promise<void> {
		const next = this.#queue.then(() => (this.#stopped ? undefined : work()));
		this.#queue = next.catch(() => undefined);
		return next;
	}

	async #rebuild(): Promise<void> {
		const state = this.#state();
		const rows = listPatients(this.#contacts).map(rowOf);
		const keep = new Set(rows.map((r) => r.id));
		for (let i = 0; i < rows.length && !this.#stopped; i += CHUNK) await this.#db.patientRows.bulkPut(rows.slice(i, i + CHUNK));
		if (this.#stopped) return;
		const gone = (await this.#db.patientRows.toCollection().primaryKeys()).filter((id) => !keep.has(id));
		if (gone.length > 0) await this.#db.patientRows.bulkDelete(gone);
		await this.#db.indexMarks.put({ name: MARK, state });
	}

	async #reindex(ids: readonly string[], state: string): Promise<void> {
		const put: PatientRow[] = [];
		const remove: string[] = [];
		for (const id of ids) {
			const patient = readPatient(this.#contacts, id);
			if (!patient || patient.mergedInto) remove.push(id);
			else put.push(rowOf(patient));
		}
		await this.#db.transaction('rw', this.#db.patientRows, this.#db.indexMarks, async () => {
			if (put.length > 0) await this.#db.patientRows.bulkPut(put);
			if (remove.length > 0) await this.#db.patientRows.bulkDelete(remove);
			await this.#db.indexMarks.put({ name: MARK, state });
		});
	}
}

export interface PatientFilter {
	search?: string;
	tag?: string;
}

/** Code-unit order, as IndexedDB orders the `sortKey` index: a search's answer reads in the list's own order. */
function bySortKey(a: PatientRow, b: PatientRow): number {
	return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0;
}

/** Up to this many matches are read whole and put in order; past it, the name index orders their ids first. */
const READ_WHOLE = 200;

/**
 * Patients in name order, at most `limit`. A search finds rows having a word starting with each typed word: a
 * name as typed without Turkish letters (`ipek` finds `İpek`), a number in any spelling (`0532 123 45 67`,
 * `05321234567`, `+90 532…`), a tag. Bounded at 20,000 patients: the matches are found by key only, and only the
 * rows shown are read. An aborted `signal` (the person typed on) stops it between reads with an `AbortError`.
 */
export async function queryPatients(
	db: FrontdeskDatabase,
	filter: PatientFilter,
	limit: number,
	signal?: AbortSignal
): Promise<PatientRow[]> {
	const words = filter.search ? queryWords(filter.search) : [];
	if (words.length === 0 && !filter.tag) return db.patientRows.orderBy('sortKey').limit(limit).toArray();
	let ids: Set<string> | null = filter.tag ? new Set(await db.patientRows.where('tags').equals(filter.tag).primaryKeys()) : null;
	for (const word of words) {
		if (ids?.size === 0) return [];
		signal?.throwIfAborted();
		const found = await db.patientRows.where('words').startsWith(word).primaryKeys();
		const before = ids;
		ids = new Set(before ? found.filter((id) => before.has(id)) : found);
	}
	if (!ids || ids.size === 0) return [];
	signal?.throwIfAborted();
	if (ids.size <= READ_WHOLE) return (await readRows(db, [...ids])).sort(bySortKey).slice(0, limit);
	const page: string[] = [];
	for (const id of await db.patientRows.orderBy('sortKey').primaryKeys()) {
		if (!ids.has(id)) continue;
		page.push(id);
		if (page.length === limit) break;
	}
	signal?.throwIfAborted();
	return readRows(db, page);
}

async function readRows(db: FrontdeskDatabase, ids: string[]): Promise<PatientRow[]> {
	return (await db.patientRows.bulkGet(ids)).filter((r): r is PatientRow => r !== undefined);
}

/** True once this device's contacts doc and patient table have held the server's patients (`PatientIndex.synced`). */
export async function holdsServerPatients(db: FrontdeskDatabase): Promise<boolean> {
	return (await db.indexMarks.get(SYNCED_MARK)) !== undefined;
}

/** Every tag in use on a patient, for the tag filter. */
export async function patientTags(db: FrontdeskDatabase): Promise<string[]> {
	return ((await db.patientRows.orderBy('tags').uniqueKeys()) as string[]).sort((a, b) => a.localeCompare(b));
}
