import { liveQuery, type Subscription } from 'dexie';
import type { ChannelKind } from '$lib/domain/contacts.ts';
import type { ThreadStatus } from '$lib/domain/inbox.ts';
import { queryThreads, threadTags, type FrontdeskDatabase, type ThreadFilter, type ThreadRow } from '$lib/local/index.ts';

export type Scope = 'all' | 'mine' | 'unassigned';

const PAGE = 50;

/**
 * The thread list's state: the filters a person set and the rows that match, from the query table, kept live
 * (a new message, an assignment, a contact renamed on another device all show at once). Paged: more rows are
 * read as the person scrolls.
 */
export class ThreadList {
	scope = $state<Scope>('all');
	channel = $state<ChannelKind | ''>('');
	status = $state<ThreadStatus | 'snoozed' | ''>('open');
	tag = $state('');
	search = $state('');
	limit = $state(PAGE);
	rows = $state<ThreadRow[]>([]);
	tags = $state<string[]>([]);
	/** True once the first answer for the current filters is in. */
	loaded = $state(false);
	readonly #db: FrontdeskDatabase;
	readonly #userId: string;
	#rows: Subscription | null = null;
	readonly #tags: Subscription;

	constructor(db: FrontdeskDatabase, userId: string) {
		this.#db = db;
		this.#userId = userId;
		this.#tags = liveQuery(() => threadTags(db)).subscribe({ next: (tags) => (this.tags = tags) });
	}

	get filter(): ThreadFilter {
		return {
			...(this.scope === 'mine' ? { assignee: this.#userId } : {}),
			...(this.scope === 'unassigned' ? { unassigned: true } : {}),
			...(this.channel ? { channel: this.channel } : {}),
			...(this.status ? { status: this.status } : {}),
			...(this.tag ? { tag: this.tag } : {}),
			...(this.search.trim() ? { search: this.search } : {})
		};
	}

	/** Reads again for the current filters (called by the screen whenever they change). */
	query(): void {
		const filter = this.filter;
		const limit = this.limit;
		this.#rows?.unsubscribe();
		this.#rows = liveQuery(() => queryThreads(this.#db, filter, limit)).subscribe({
			next: (rows) => {
				this.rows = rows;
				this.loaded = true;
			},
			error: () => {
				this.rows = [];
				this.loaded = true;
			}
		});
	}

	/** Another page, when the person reaches the end of the list. */
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
