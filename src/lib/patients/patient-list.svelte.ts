import { liveQuery, type Subscription } from 'dexie';
import {
	patientSearchMemory,
	patientTags,
	queryPatients,
	type FrontdeskDatabase,
	type PatientFilter,
	type PatientRow
} from '$lib/local/index.ts';
import { afterPaint } from '$lib/ui/afterPaint.ts';
import { LatestQuery } from './latestQuery.ts';

const PAGE = 50;

interface ListQuery {
	filter: PatientFilter;
	limit: number;
	/** The search as typed, trimmed: what `answered` says once the rows answer it. */
	search: string;
}

/**
 * The patient list's state: the search a person typed, the tag they picked and the rows that match, from the
 * device's query table, kept live (a patient renamed on another device shows at once). Paged as they scroll. One
 * search at a time, the latest winning (`LatestQuery`): keys typed while one runs never pile up.
 */
export class PatientList {
	search = $state('');
	tag = $state('');
	limit = $state(PAGE);
	/** Replaced whole by each answer, never changed in place: not made deeply reactive. */
	rows = $state.raw<PatientRow[]>([]);
	tags = $state<string[]>([]);
	/** True once the first answer for the current search is in. */
	loaded = $state(false);
	/** The search the rows answer (trimmed): the screen says so, so nobody mistakes the last answer for this one. */
	answered = $state<string | null>(null);
	readonly #rows: LatestQuery<ListQuery, PatientRow[]>;
	readonly #tags: Subscription;

	constructor(db: FrontdeskDatabase) {
		this.#rows = new LatestQuery(
			({ filter, limit }, signal) => queryPatients(db, filter, limit, signal),
			({ search }, rows) => {
				this.rows = rows;
				this.loaded = true;
				this.answered = search;
			},
			() => {
				this.rows = [];
				this.loaded = true;
			}
		);
		this.#tags = liveQuery(() => patientTags(db)).subscribe({ next: (tags) => (this.tags = tags) });
		// The search entries are read into memory once the first screen is drawn, before anyone types.
		afterPaint(() => patientSearchMemory(db).warm());
	}

	/** Reads again for the current search (the screen calls it whenever the search, tag or page changes). */
	query(): void {
		const search = this.search.trim();
		const filter = { ...(search ? { search } : {}), ...(this.tag ? { tag: this.tag } : {}) };
		this.#rows.ask({ filter, limit: this.limit, search });
	}

	more(): void {
		if (this.rows.length >= this.limit) this.limit += PAGE;
	}

	resetPaging(): void {
		this.limit = PAGE;
	}

	destroy(): void {
		this.#rows.destroy();
		this.#tags.unsubscribe();
	}
}
