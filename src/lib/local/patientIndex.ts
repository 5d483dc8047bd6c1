import * as Y from 'yjs';
import { contactLabel, observeContacts } from '$lib/domain/contacts.ts';
import { listPatients, readPatient, type Patient } from '$lib/domain/patients.ts';
import { foldText, phoneKeys, queryWords, searchWords } from '$lib/domain/textSearch.ts';
import { patientSearchMemory } from './patientSearchMemory.ts';
import type { FrontdeskDatabase } from './db.ts';
import type { PatientRow, PatientSearchEntry } from './patientTables.ts';

/** Names the state the tables were built from; renamed when a new table needs a build (version 5: `patientSearch`). */
export const PATIENT_TABLE_MARK = 'patients:5';
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

function entryOf({ sortKey, id, words, tags }: PatientRow): PatientSearchEntry {
	return { sortKey, id, words, tags };
}

/**
 * Keeps the `patientRows` and `patientSearch` query tables from the contacts doc: rebuilt when started unless they
 * were built from the doc's present state, then row by row as patients change, also from other devices.
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
			const mark = await this.#db.indexMarks.get(PATIENT_TABLE_MARK);
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
		const { patientRows, patientSearch } = this.#db;
		for (let i = 0; i < rows.length && !this.#stopped; i += CHUNK) {
			const chunk = rows.slice(i, i + CHUNK);
			await this.#db.transaction('rw', patientRows, patientSearch, async () => {
				await patientRows.bulkPut(chunk);
				await patientSearch.bulkPut(chunk.map(entryOf));
			});
		}
		if (this.#stopped) return;
		const ids = new Set(rows.map((r) => r.id));
		const sortKeys = new Set(rows.map((r) => r.sortKey));
		const gone = (await patientRows.toCollection().primaryKeys()).filter((id) => !ids.has(id));
		// A patient renamed since the last build left an entry under the old name.
		const stale = (await patientSearch.toCollection().primaryKeys()).filter((key) => !sortKeys.has(key));
		await this.#db.transaction('rw', patientRows, patientSearch, this.#db.indexMarks, async () => {
			if (gone.length > 0) await patientRows.bulkDelete(gone);
			if (stale.length > 0) await patientSearch.bulkDelete(stale);
			await this.#db.indexMarks.put({ name: PATIENT_TABLE_MARK, state });
		});
	}

	async #reindex(ids: readonly string[], state: string): Promise<void> {
		const put: PatientRow[] = [];
		const remove: string[] = [];
		for (const id of ids) {
			const patient = readPatient(this.#contacts, id);
			if (!patient || patient.mergedInto) remove.push(id);
			else put.push(rowOf(patient));
		}
		const { patientRows, patientSearch } = this.#db;
		await this.#db.transaction('rw', patientRows, patientSearch, this.#db.indexMarks, async () => {
			// By id: a renamed patient's entry is keyed by the name it had.
			await patientSearch.where('id').anyOf(ids).delete();
			if (put.length > 0) {
				await patientRows.bulkPut(put);
				await patientSearch.bulkPut(put.map(entryOf));
			}
			if (remove.length > 0) await patientRows.bulkDelete(remove);
			await this.#db.indexMarks.put({ name: PATIENT_TABLE_MARK, state });
		});
	}
}

export interface PatientFilter {
	search?: string;
	tag?: string;
}

/** Code-unit order, as IndexedDB orders keys: a search's answer reads in the list's own order. */
function byCodeUnits(a: string, b: string): number {
	return a < b ? -1 : a > b ? 1 : 0;
}

/** Search entries a walk of the name order reads first, to see how many match. */
const WALK_FIRST = 100;
/** Entries a walk may read before the key passes are cheaper (each entry read costs about as much as a few keys). */
const WALK_BUDGET = 1000;
/** A typed word shorter than this is checked on entries rather than passed, once another word's pass is exact. */
const SHORT_WORD = 3;
/** Keys a pass reads at most: one that stops here is not exact, and its word is checked on the entries instead. */
const PASS_CAP = 2500;

/**
 * Patients in name order, at most `limit`. A search finds rows having a word starting with each typed word: a
 * name as typed without Turkish letters (`ipek` finds `İpek`), a number in any spelling (`0532 123 45 67`,
 * `05321234567`, `+90 532…`), a tag. Filters the entries held in memory once a search screen has them read (PATIENT-SEARCH-4); until then
 * bounded at 20,000 patients (PATIENT-SEARCH-2): it reads the `patientSearch` entries, never all of them. Then it
 * reads only the rows it answers. An aborted `signal` (the person typed on) stops it
 * between reads with an `AbortError`.
 */
export async function queryPatients(
	db: FrontdeskDatabase,
	filter: PatientFilter,
	limit: number,
	signal?: AbortSignal
): Promise<PatientRow[]> {
	const words = filter.search ? queryWords(filter.search) : [];
	if (words.length === 0 && !filter.tag) return db.patientRows.orderBy('sortKey').limit(limit).toArray();
	const tag = filter.tag ?? null;
	const ids = patientSearchMemory(db).search(words, tag, limit) ?? (await searchIds(db, words, tag, limit, signal));
	signal?.throwIfAborted();
	return (await db.patientRows.bulkGet(ids)).filter((r): r is PatientRow => r !== undefined);
}

async function searchIds(
	db: FrontdeskDatabase,
	words: readonly string[],
	tag: string | null,
	limit: number,
	signal: AbortSignal | undefined
): Promise<string[]> {
	const table = db.patientSearch;
	const matches = (e: PatientSearchEntry) =>
		(tag === null || e.tags.includes(tag)) && words.every((w) => e.words.some((word) => word.startsWith(w)));

	// 1. Walk the name order: a search many patients match is answered by the first entries.
	const found: string[] = [];
	let after: string | null = null;
	for (let read = 0, next = WALK_FIRST; ;) {
		signal?.throwIfAborted();
		const entries: PatientSearchEntry[] = await (
			after === null ? table.limit(next) : table.where(':id').above(after).limit(next)
		).toArray();
		read += entries.length;
		for (const e of entries) if (matches(e)) found.push(e.id);
		if (found.length >= limit || entries.length < next) return found.slice(0, limit);
		after = entries[entries.length - 1].sortKey;
		// The entries still to read at the rate seen so far, read at once: past the budget, the key passes cost less.
		const more = Math.ceil((((limit - found.length) * read) / Math.max(found.length, 0.5)) * 1.25);
		if (read + more > WALK_BUDGET) break;
		next = Math.max(more, WALK_FIRST);
	}

	// 2. Key passes: the keys are sort keys, so the matches come in list order without reading them.
	const passes = [
		...(tag === null ? [] : [{ short: false, read: () => table.where('tags').equals(tag) }]),
		...[...words]
			.sort((a, b) => b.length - a.length)
			.map((w) => ({ short: w.length < SHORT_WORD, read: () => table.where('words').startsWith(w) }))
	];
	let keys = null as Set<string> | null;
	let exact = true;
	for (const pass of passes) {
		// A word of a letter or two matches thousands: cheaper checked on the few entries the others left.
		if (pass.short && keys !== null) {
			exact = false;
			continue;
		}
		signal?.throwIfAborted();
		const got = await pass.read().limit(PASS_CAP).primaryKeys();
		if (got.length >= PASS_CAP) {
			exact = false;
			continue;
		}
		const before: Set<string> | null = keys;
		keys = new Set(before ? got.filter((k) => before.has(k)) : got);
		if (keys.size === 0) return [];
	}
	// Every pass was past its cap: the longest word read whole (rare: dense words together matching few).
	if (keys === null) keys = new Set(await passes[0].read().primaryKeys());
	const ordered = [...keys].sort(byCodeUnits);
	if (exact) return ordered.slice(0, limit).map((key) => key.slice(key.lastIndexOf('\u0000') + 1));

	// 3. What the capped passes left unchecked is checked on the entries, in order, until the page is full.
	const answer: string[] = [];
	for (let i = 0; i < ordered.length && answer.length < limit; i += limit * 2) {
		signal?.throwIfAborted();
		const entries = await table.bulkGet(ordered.slice(i, i + limit * 2));
		for (const e of entries) if (e && matches(e) && answer.length < limit) answer.push(e.id);
	}
	return answer;
}

/** True once this device's contacts doc and patient tables have held the server's patients (`PatientIndex.synced`). */
export async function holdsServerPatients(db: FrontdeskDatabase): Promise<boolean> {
	return (await db.indexMarks.get(SYNCED_MARK)) !== undefined;
}

/** Every tag in use on a patient, for the tag filter. */
export async function patientTags(db: FrontdeskDatabase): Promise<string[]> {
	return ((await db.patientSearch.orderBy('tags').uniqueKeys()) as string[]).sort((a, b) => a.localeCompare(b));
}
