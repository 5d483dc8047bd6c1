import type { ChannelKind } from '$lib/domain/contacts.ts';
import type { ThreadSummary } from '$lib/domain/inbox.ts';

/**
 * One row per thread, kept from the inbox and contacts docs (and the message texts the device has seen), so the
 * thread list, its filters and search read IndexedDB only: offline, and fast with tens of thousands of threads.
 */
export interface ThreadRow {
	id: string;
	contactId: string;
	contactLabel: string;
	channel: ChannelKind;
	/** The summary as the doc holds it: status, assignee, unread markers, snooze, tags, last message. */
	summary: ThreadSummary;
	lastMessageAt: string;
	/**
	 * Minus the last message's time in ms: ascending is newest first, so the first screen is one bounded `getAll`
	 * (IndexedDB reads only forwards in one request) instead of a cursor stepping row by row.
	 */
	recency: number;
	/** '' when unassigned (IndexedDB cannot index null). */
	assigneeId: string;
	tags: string[];
	/** Folded words of the contact (name, phone digits, emails) and of the messages seen: the search index. */
	words: string[];
	/** The message words alone, kept across contact changes (bounded). */
	messageWords: string[];
}

/** Up to which state of the docs a query table is built (their Yjs state vectors): a start with nothing new skips the rebuild. */
export interface IndexMark {
	name: string;
	state: string;
}

export const INBOX_TABLES: Record<string, string> = {
	threadRows: 'id, lastMessageAt, contactId, assigneeId, channel, *tags, *words',
	indexMarks: 'name'
};

/** Version 3: the `recency` index (rows of version 2 get it in the upgrade). */
export const INBOX_TABLES_V3: Record<string, string> = {
	...INBOX_TABLES,
	threadRows: 'id, lastMessageAt, recency, contactId, assigneeId, channel, *tags, *words'
};

export const recencyOf = (lastMessageAt: string): number => -Date.parse(lastMessageAt);
