import { liveQuery, type Subscription } from 'dexie';
import { patientTags, queryPatients, type FrontdeskDatabase, type PatientRow } from '$lib/local/index.ts';

const PAGE = 50;

/**
 * The patient list's state: the search a person typed, the tag they picked and the rows that match, from the
 * device's query table, kept live (a patient renamed on another device shows at once). Paged as they scroll.
 */
export class PatientList {
	search = $state('');
	tag = $state('');
	limit = $state(PAGE);
	rows = $state<PatientRow[]>([]);
	tags = $state<string[]>([]);
	/** True once the first answer for the current search is in. */
	loaded = $state(false);
	/** The search the rows answer (trimmed): the screen says so, so nobody mistakes the last answer for this one. */
	answered = $state<string | null>(null);
	readonly #db: FrontdeskDatabase;
	#rows: Subscription | null = null;
	readonly #tags: Subscription;

	constructor(db: FrontdeskDatabase) {
		this.#db = db;
		this.#tags = liveQuery(() => patientTags(db)).subscribe({ next: (tags) => (this.tags = tags) });
	}

	/** Reads again for the current search (the screen calls it whenever the search, tag or page changes). */
	query(): void {
		const search = this.search.trim();
		const filter = { ...(search ? { search } : {}), ...(this.tag ? { tag: this.tag } : {}) };
		const limit = this.limit;
		this.#rows?.unsubscribe();
		this.#rows = liveQuery(() => queryPatients(this.#db, filter, limit)).subscribe({
			next: (rows) => {
				this.rows = rows;
				this.loaded = true;
				this.answered = search;
			},
			error: () => {
				this.rows = [];
				this.loaded = true;
			}
		});
	}

	more(): void {
		if (this.rows.length >= this.limit) this.limit += PAGE;
	}

	resetPaging(): void {
		this.limit = PAGE;
	}

	destroy(): void {
		this.#rows?.unsubscribe();
		this.#tags.unsubscribe();
	}
}
