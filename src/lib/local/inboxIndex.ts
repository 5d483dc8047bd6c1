import * as Y from 'yjs';
import { contactLabel, observeContacts, readContact, type ChannelKind, type Contact } from '$lib/domain/contacts.ts';
import {
	effectiveStatus,
	isSnoozed,
	listThreadSummaries,
	observeThreads,
	readThreadSummary,
	type ThreadStatus,
	type ThreadSummary
} from '$lib/domain/inbox.ts';
import { phoneKeys, queryWords, searchWords } from '$lib/domain/textSearch.ts';
import type { FrontdeskDatabase } from './db.ts';
import { recencyOf, type ThreadRow } from './inboxTables.ts';

/** Message words kept per thread: enough to find a conversation by what was said, bounded per row. */
const MAX_MESSAGE_WORDS = 400;
const MARK = 'inbox';
/** Rows written per IndexedDB transaction while rebuilding, so the screen stays responsive. */
const CHUNK = 500;

function contactWords(contact: Contact | null): string[] {
	if (!contact) return [];
	return [
		...searchWords(contact.name),
		...contact.phones.flatMap(phoneKeys),
		...contact.emails.flatMap((e) => searchWords(e.replace('@', ' ')))
	];
}

function rowOf(summary: ThreadSummary, contact: Contact | null, previous: ThreadRow | undefined): ThreadRow {
	const messageWords = [...new Set([...(previous?.messageWords ?? []), ...searchWords(summary.lastPreview)])].slice(
		-MAX_MESSAGE_WORDS
	);
	return {
		id: summary.id,
		contactId: summary.contactId,
		contactLabel: contact ? contactLabel(contact) : '',
		channel: summary.channel,
		summary,
		lastMessageAt: summary.lastMessageAt,
		recency: recencyOf(summary.lastMessageAt),
		assigneeId: summary.assigneeId ?? '',
		tags: summary.tags,
		words: [...new Set([...contactWords(contact), ...messageWords, ...summary.tags.flatMap((t) => searchWords(t))])],
		messageWords
	};
}

/**
 * Keeps the `threadRows` query table from the inbox and contacts docs: rebuilt once when started (the list shows
 * the stored rows meanwhile), then row by row as summaries and contacts change, also from other devices.
 */
export class InboxIndex {
	readonly #db: FrontdeskDatabase;
	readonly #inbox: Y.Doc;
	readonly #contacts: Y.Doc;
	#stops: (() => void)[] = [];
	#queue: Promise<void> = Promise.resolve();
	#stopped = false;

	constructor(db: FrontdeskDatabase, inbox: Y.Doc, contacts: Y.Doc) {
		this.#db = db;
		this.#inbox = inbox;
		this.#contacts = contacts;
	}

	/**
	 * Follows the docs' changes, and rebuilds the table unless it was built from exactly the docs' present state
	 * (the usual start: nothing changed while the app was closed); resolves once the table is current.
	 */
	start(): Promise<void> {
		// Each change is indexed with the docs' state right after it: the mark written with its rows never claims
		// a later change whose rows are still waiting in the queue (the app may close before they are written).
		this.#stops.push(
			observeThreads(this.#inbox, (ids) => {
				const state = this.#state();
				void this.#enqueue(() => this.#reindex(ids, state));
			}),
			observeContacts(this.#contacts, (ids) => {
				const state = this.#state();
				void this.#enqueue(async () => {
					const threads = await this.#db.threadRows.where('contactId').anyOf(ids).primaryKeys();
					// A contact's first message may arrive in the contacts doc before the inbox doc names it.
					await this.#reindex(threads, state);
				});
			})
		);
		return this.#enqueue(async () => {
			const mark = await this.#db.indexMarks.get(MARK);
			if (mark?.state !== this.#state()) await this.#rebuild();
		});
	}

	/** The docs' state the table now reflects, kept with it (the same database, so a wipe takes both). */
	#state(): string {
		const vector = (doc: Y.Doc) => btoa(String.fromCharCode(...Y.encodeStateVector(doc)));
		return `${vector(this.#inbox)}|${vector(this.#contacts)}`;
	}

	#marked(state: string): Promise<unknown> {
		return this.#db.indexMarks.put({ name: MARK, state });
	}

	stop(): void {
		this.#stopped = true;
		for (const stop of this.#stops.splice(0)) stop();
	}

	/** Adds the words of a thread's messages (from its doc, when the device has it) to its row. */
	indexMessages(threadId: string, texts: readonly string[]): Promise<void> {
		return this.#enqueue(async () => {
			const row = await this.#db.threadRows.get(threadId);
			if (!row) return;
			const messageWords = [...new Set([...row.messageWords, ...texts.flatMap((t) => searchWords(t))])].slice(-MAX_MESSAGE_WORDS);
			if (messageWords.length === row.messageWords.length) return;
			await this.#db.threadRows.put(rowOf(row.summary, readContact(this.#contacts, row.contactId), { ...row, messageWords }));
		});
	}

	#enqueue(work: () => Promise<void>): Promise<void> {
		const next = this.#queue.then(() => (this.#stopped ? undefined : work()));
		this.#queue = next.catch(() => undefined);
		return next;
	}

	async #rebuild(): Promise<void> {
		const existing = new Map((await this.#db.threadRows.toArray()).map((r) => [r.id, r]));
		// Every row from one moment of the docs, the moment the mark names; changes after it are queued behind.
		const state = this.#state();
		const rows = listThreadSummaries(this.#inbox).map((s) =>
			rowOf(s, readContact(this.#contacts, s.contactId), existing.get(s.id))
		);
		const keep = new Set(rows.map((r) => r.id));
		for (let i = 0; i < rows.length && !this.#stopped; i += CHUNK) await this.#db.threadRows.bulkPut(rows.slice(i, i + CHUNK));
		if (this.#stopped) return;
		const gone = [...existing.keys()].filter((id) => !keep.has(id));
		if (gone.length > 0) await this.#db.threadRows.bulkDelete(gone);
		await this.#marked(state);
	}

	async #reindex(ids: readonly string[], state: string): Promise<void> {
		if (ids.length === 0) return;
		const previous = await this.#db.threadRows.bulkGet([...ids]);
		const put: ThreadRow[] = [];
		const remove: string[] = [];
		ids.forEach((id, i) => {
			const summary = readThreadSummary(this.#inbox, id);
			if (!summary || summary.mergedInto) remove.push(id);
			else put.push(rowOf(summary, readContact(this.#contacts, summary.contactId), previous[i]));
		});
		await this.#db.transaction('rw', this.#db.threadRows, this.#db.indexMarks, async () => {
			if (put.length > 0) await this.#db.threadRows.bulkPut(put);
			if (remove.length > 0) await this.#db.threadRows.bulkDelete(remove);
			await this.#marked(state);
		});
	}
}

/** What the thread list is filtered by; absent fields do not filter. */
export interface ThreadFilter {
	/** Only threads assigned to this user. */
	assignee?: string;
	unassigned?: boolean;
	channel?: ChannelKind;
	status?: ThreadStatus | 'snoozed';
	tag?: string;
	search?: string;
}

function matches(row: ThreadRow, filter: ThreadFilter, now: Date): boolean {
	if (filter.assignee !== undefined && row.assigneeId !== filter.assignee) return false;
	if (filter.unassigned && row.assigneeId !== '') return false;
	if (filter.channel && row.channel !== filter.channel) return false;
	if (filter.tag && !row.tags.includes(filter.tag)) return false;
	if (filter.status === 'snoozed') return isSnoozed(row.summary, now);
	if (filter.status && (effectiveStatus(row.summary, now) !== filter.status || isSnoozed(row.summary, now))) return false;
	return true;
}

/**
 * The newest threads matching the filter, at most `limit`. A search finds rows having a word starting with each
 * typed word (so `ipek` finds `İpek`, `0532 12` finds `+90 532 123 45 67`), through the words index.
 */
export async function queryThreads(
	db: FrontdeskDatabase,
	filter: ThreadFilter,
	limit: number,
	now = new Date()
): Promise<ThreadRow[]> {
	const words = filter.search ? queryWords(filter.search) : [];
	if (words.length === 0) {
		// The usual case (open threads, all or mine) is answered by the newest rows: one bounded read, then a
		// cursor over the rest only when the filter left too few.
		const newest = await db.threadRows
			.orderBy('recency')
			.limit(limit * 2)
			.toArray();
		const found = newest.filter((row) => matches(row, filter, now));
		if (found.length >= limit || newest.length < limit * 2) return found.slice(0, limit);
		return db.threadRows
			.orderBy('recency')
			.filter((row) => matches(row, filter, now))
			.limit(limit)
			.toArray();
	}
	let ids: string[] | null = null;
	for (const word of words) {
		const found = new Set<string>(await db.threadRows.where('words').startsWith(word).primaryKeys());
		ids = ids === null ? [...found] : ids.filter((id) => found.has(id));
		if (ids.length === 0) return [];
	}
	const rows = (await db.threadRows.bulkGet(ids ?? [])).filter((r): r is ThreadRow => r !== undefined);
	return rows
		.filter((row) => matches(row, filter, now))
		.sort((a, b) => b.lastMessageAt.localeCompare(a.lastMessageAt))
		.slice(0, limit);
}

/** Every tag in use on a thread, for the tag filter. */
export async function threadTags(db: FrontdeskDatabase): Promise<string[]> {
	return ((await db.threadRows.orderBy('tags').uniqueKeys()) as string[]).sort((a, b) => a.localeCompare(b));
}
