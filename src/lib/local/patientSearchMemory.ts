import Dexie from 'dexie';
import type { FrontdeskDatabase } from './db.ts';
import type { PatientSearchEntry } from './patientTables.ts';

/** Entries read at a time while loading: each read is a short task, so keys typed meanwhile are answered. */
const CHUNK = 2000;
/** After the entries change, how long they must stay still before they are read again (a sync writes in bursts). */
const SETTLE_MS = 1000;

/**
 * The patients' search entries (`patientSearch`), held in memory in list order once read, so a keystroke filters
 * an array instead of walking IndexedDB: 20,000 entries are a few megabytes, and a read of IndexedDB costs more
 * than filtering them all. Never answers from stale entries: any change to the table, in this tab or another
 * (Dexie's `storagemutated`), drops them, and they are read again once the table is still. Until then `search`
 * answers null and the caller reads the table (PATIENT-SEARCH-4).
 */
export class PatientSearchMemory {
	readonly #db: FrontdeskDatabase;
	readonly #part: string;
	#entries: PatientSearchEntry[] | null = null;
	#loading = false;
	/** Bumped by every change to the table: a load that saw it change throws its entries away. */
	#changes = 0;
	#reload: ReturnType<typeof setTimeout> | null = null;
	#wanted = false;
	readonly #whenHeld = new Set<() => void>();
	readonly #onMutated = (parts: Record<string, unknown>) => {
		if ('all' in parts || Object.keys(parts).some((part) => part.startsWith(this.#part))) this.#changed();
	};

	readonly #onClosed = () => this.destroy();
	#destroyed = false;

	constructor(db: FrontdeskDatabase) {
		this.#db = db;
		this.#part = `idb://${db.name}/patientSearch/`;
		Dexie.on('storagemutated', this.#onMutated);
		// Signing out deletes the database (which closes it): the patients' words must not outlive it in memory.
		db.on('close', this.#onClosed);
	}

	/** True once destroyed, or once its database closed: it holds nothing and never will again. */
	get destroyed(): boolean {
		return this.#destroyed;
	}

	/** Starts reading the entries if they are not held (a search screen opened, or a search ran). */
	warm(): void {
		if (this.#destroyed) return;
		this.#wanted = true;
		if (this.#entries === null && !this.#loading && this.#reload === null) void this.#load();
	}

	/** Resolves once the entries are held (after `warm`, or after a change once they are read again). */
	whenHeld(): Promise<void> {
		if (this.#entries !== null) return Promise.resolve();
		return new Promise((resolve) => this.#whenHeld.add(resolve));
	}

	/**
	 * Ids of the first `limit` entries in list order having a word starting with each of `words` and the tag (if
	 * any), as `queryPatients` answers them; null while the entries are not held.
	 */
	search(words: readonly string[], tag: string | null, limit: number): string[] | null {
		const entries = this.#entries;
		if (entries === null) return null;
		const found: string[] = [];
		for (const e of entries) {
			if (tag !== null && !e.tags.includes(tag)) continue;
			if (!words.every((w) => e.words.some((word) => word.startsWith(w)))) continue;
			found.push(e.id);
			if (found.length >= limit) break;
		}
		return found;
	}

	destroy(): void {
		this.#destroyed = true;
		Dexie.on('storagemutated').unsubscribe(this.#onMutated);
		this.#db.on('close').unsubscribe(this.#onClosed);
		if (this.#reload) clearTimeout(this.#reload);
		this.#entries = null;
	}

	#changed(): void {
		this.#changes++;
		this.#entries = null;
		if (!this.#wanted || this.#destroyed) return;
		if (this.#reload) clearTimeout(this.#reload);
		this.#reload = setTimeout(() => {
			this.#reload = null;
			if (!this.#loading) void this.#load();
		}, SETTLE_MS);
	}

	async #load(): Promise<void> {
		this.#loading = true;
		const changesBefore = this.#changes;
		try {
			const entries: PatientSearchEntry[] = [];
			for (let after: string | null = null; ;) {
				const table = this.#db.patientSearch;
				const chunk: PatientSearchEntry[] = await (
					after === null ? table.limit(CHUNK) : table.where(':id').above(after).limit(CHUNK)
				).toArray();
				// #changed scheduled the next load; a destroyed memory takes none.
				if (this.#changes !== changesBefore || this.#destroyed) return;
				for (const e of chunk) entries.push({ sortKey: e.sortKey, id: e.id, words: e.words, tags: e.tags });
				if (chunk.length < CHUNK) break;
				after = chunk[chunk.length - 1].sortKey;
			}
			this.#entries = entries;
			for (const resolve of this.#whenHeld) resolve();
			this.#whenHeld.clear();
		} catch {
			// The database closed or failed: searches keep reading the table.
		} finally {
			this.#loading = false;
		}
	}
}

const held = new WeakMap<FrontdeskDatabase, PatientSearchMemory>();

/** The device database's search memory, one per database object (a new one once it reopened after closing). */
export function patientSearchMemory(db: FrontdeskDatabase): PatientSearchMemory {
	let memory = held.get(db);
	if (!memory || memory.destroyed) held.set(db, (memory = new PatientSearchMemory(db)));
	return memory;
}
