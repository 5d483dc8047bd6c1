import * as Y from 'yjs';
import { z } from 'zod';
import { channelKind, type ChannelKind } from './contacts.ts';
import { docId } from './fields.ts';
import { newId } from './ids.ts';
import { observeEntryChanges } from './entryChanges.ts';

/**
 * The `<clinic>/inbox` doc: one summary per thread, everything the thread list shows without opening a thread
 * (contact, channel, status, assignee, tags, last message, unread counts). The server moves the "last message"
 * fields when a message comes in; devices change status, assignment, tags and read markers. Each summary is a
 * Y.Map under the thread's id, so those edits merge field by field.
 */

export const THREAD_STATUSES = ['open', 'pending', 'closed'] as const;
export type ThreadStatus = (typeof THREAD_STATUSES)[number];
export const threadStatus = z.enum(THREAD_STATUSES);

export type ActivityDirection = 'in' | 'out' | 'note';

export interface ThreadSummary {
	id: string;
	contactId: string;
	channel: ChannelKind;
	status: ThreadStatus;
	assigneeId: string | null;
	tags: string[];
	createdAt: string;
	lastMessageAt: string;
	/** At most PREVIEW_LENGTH characters of the last message. */
	lastPreview: string;
	lastDirection: ActivityDirection;
	/** When the patient last wrote: opens WhatsApp's 24-hour window. */
	lastInboundAt: string | null;
	/** Messages received so far; a person's read marker is the count they had seen. */
	inboundCount: number;
	readBy: Record<string, number>;
	snoozedUntil: string | null;
	/** A missed call nobody has called back yet. */
	missedCall: boolean;
	/** Staff with an @mention in this thread they have not seen. */
	mentioned: string[];
	/** When the away message went out in this conversation (once until the thread is closed). */
	awaySentAt: string | null;
	mergedInto?: string;
}

export const PREVIEW_LENGTH = 140;
export const MAX_TAG_LENGTH = 40;
export const MAX_TAGS_PER_THREAD = 20;

const THREADS = 'threads';
const TAGS = 'tags';
const READ_BY = 'readBy';
const MENTIONED = 'mentioned';

const isoTime = z.iso.datetime({ offset: true });
const tag = z.string().trim().min(1).max(MAX_TAG_LENGTH);

function threadsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
	return doc.getMap(THREADS);
}

function entryOf(doc: Y.Doc, id: string): Y.Map<unknown> {
	const entry = threadsMap(doc).get(id);
	if (!(entry instanceof Y.Map)) throw new Error(`no thread ${id}`);
	return entry;
}

function tagsOf(entry: Y.Map<unknown>): Y.Array<string> {
	const value = entry.get(TAGS);
	if (value instanceof Y.Array) return value as Y.Array<string>;
	const created = new Y.Array<string>();
	entry.set(TAGS, created);
	return created;
}

function mapField<T>(entry: Y.Map<unknown>, field: string): Y.Map<T> {
	const value = entry.get(field);
	if (value instanceof Y.Map) return value as Y.Map<T>;
	const created = new Y.Map<T>();
	entry.set(field, created);
	return created;
}

const readByOf = (entry: Y.Map<unknown>) => mapField<number>(entry, READ_BY);
const mentionedOf = (entry: Y.Map<unknown>) => mapField<boolean>(entry, MENTIONED);

const storedSummary = z.object({
	contactId: docId,
	channel: channelKind,
	status: threadStatus.catch('open'),
	assigneeId: docId.nullable().catch(null),
	createdAt: isoTime,
	lastMessageAt: isoTime,
	lastPreview: z
		.string()
		.catch('')
		.transform((s) => s.slice(0, PREVIEW_LENGTH)),
	lastDirection: z.enum(['in', 'out', 'note']).catch('in'),
	lastInboundAt: isoTime.nullable().catch(null),
	inboundCount: z.number().int().min(0).catch(0),
	snoozedUntil: isoTime.nullable().catch(null),
	missedCall: z.boolean().catch(false),
	awaySentAt: isoTime.nullable().catch(null),
	mergedInto: docId.optional().catch(undefined)
});

function readFrom(id: string, entry: unknown): ThreadSummary | null {
	if (!(entry instanceof Y.Map) || !docId.safeParse(id).success) return null;
	const fields = Object.fromEntries([...entry.entries()].filter(([, v]) => !(v instanceof Y.AbstractType)));
	const parsed = storedSummary.safeParse({
		assigneeId: null,
		lastInboundAt: null,
		snoozedUntil: null,
		awaySentAt: null,
		...fields
	});
	if (!parsed.success) return null;
	const tags = entry.get(TAGS);
	const readBy = entry.get(READ_BY);
	const mentioned = entry.get(MENTIONED);
	const summary: ThreadSummary = {
		id,
		...parsed.data,
		tags:
			tags instanceof Y.Array
				? [...new Set(tags.toArray().filter((t): t is string => tag.safeParse(t).success))].slice(0, MAX_TAGS_PER_THREAD)
				: [],
		readBy:
			readBy instanceof Y.Map
				? Object.fromEntries(
						[...readBy.entries()].filter(([u, n]) => docId.safeParse(u).success && Number.isInteger(n) && n >= 0)
					)
				: {},
		mentioned:
			mentioned instanceof Y.Map
				? [...mentioned.keys()].filter((u) => mentioned.get(u) === true && docId.safeParse(u).success)
				: []
	};
	if (summary.mergedInto === undefined || summary.mergedInto === id) delete summary.mergedInto;
	return summary;
}

export function readThreadSummary(doc: Y.Doc, id: string): ThreadSummary | null {
	return readFrom(id, threadsMap(doc).get(id));
}

/** Every thread that was not merged away, the most recent activity first. */
export function listThreadSummaries(doc: Y.Doc): ThreadSummary[] {
	const out: ThreadSummary[] = [];
	for (const [id, entry] of threadsMap(doc).entries()) {
		const summary = readFrom(id, entry);
		if (summary && !summary.mergedInto) out.push(summary);
	}
	return out.sort((a, b) => b.lastMessageAt.localeCompare(a.lastMessageAt) || a.id.localeCompare(b.id));
}

const openInput = z.object({
	contactId: docId,
	channel: channelKind,
	at: isoTime.optional(),
	threadId: docId.optional()
});

/** Starts a thread for a contact (status open) and returns its id. */
export function openThread(doc: Y.Doc, input: z.input<typeof openInput>, now: Date = new Date()): string {
	const { contactId, channel, at, threadId } = openInput.parse(input);
	const id = threadId ?? newId();
	if (threadsMap(doc).has(id)) throw new Error(`thread ${id} exists`);
	const time = at ?? now.toISOString();
	doc.transact(() => {
		const entry = new Y.Map<unknown>();
		threadsMap(doc).set(id, entry);
		entry.set('contactId', contactId);
		entry.set('channel', channel);
		entry.set('status', 'open');
		entry.set('assigneeId', null);
		entry.set('createdAt', time);
		entry.set('lastMessageAt', time);
		entry.set('lastPreview', '');
		entry.set('lastDirection', 'in');
		entry.set('lastInboundAt', null);
		entry.set('inboundCount', 0);
		entry.set('snoozedUntil', null);
		entry.set('missedCall', false);
		entry.set(TAGS, new Y.Array<string>());
		entry.set(READ_BY, new Y.Map<number>());
		entry.set(MENTIONED, new Y.Map<boolean>());
	});
	return id;
}

/** The contact's most recent thread (of that channel, if given); merged threads lead nowhere. */
export function findThreadFor(doc: Y.Doc, contactId: string, channel?: ChannelKind): ThreadSummary | null {
	return listThreadSummaries(doc).find((s) => s.contactId === contactId && (!channel || s.channel === channel)) ?? null;
}

const activityInput = z.object({
	at: isoTime,
	preview: z.string(),
	direction: z.enum(['in', 'out', 'note']),
	missedCall: z.boolean().optional()
});

/** One-line preview of a text: whitespace folded, cut at PREVIEW_LENGTH characters. */
export function previewOf(text: string): string {
	const line = text.replace(/\s+/g, ' ').trim();
	return line.length <= PREVIEW_LENGTH ? line : line.slice(0, PREVIEW_LENGTH - 1) + '…';
}

/**
 * Something happened in the thread. The last-message fields only move forward in time (a late or replayed event
 * never hides a newer one). A message from the patient counts as unread, reopens a closed thread and ends a snooze.
 */
export function recordActivity(doc: Y.Doc, id: string, input: z.input<typeof activityInput>): void {
	const { at, preview, direction, missedCall } = activityInput.parse(input);
	const entry = entryOf(doc, id);
	doc.transact(() => {
		const last = entry.get('lastMessageAt');
		if (typeof last !== 'string' || at >= last) {
			entry.set('lastMessageAt', at);
			entry.set('lastPreview', previewOf(preview));
			entry.set('lastDirection', direction);
		}
		if (direction === 'in') {
			const count = entry.get('inboundCount');
			entry.set('inboundCount', (typeof count === 'number' ? count : 0) + 1);
			const lastIn = entry.get('lastInboundAt');
			if (typeof lastIn !== 'string' || at > lastIn) entry.set('lastInboundAt', at);
			if (entry.get('status') !== 'open') entry.set('status', 'open');
			if (entry.get('snoozedUntil') !== null) entry.set('snoozedUntil', null);
		}
		if (missedCall) entry.set('missedCall', true);
	});
}

export function setThreadStatus(doc: Y.Doc, id: string, status: ThreadStatus): void {
	const parsed = threadStatus.parse(status);
	const entry = entryOf(doc, id);
	doc.transact(() => {
		entry.set('status', parsed);
		if (parsed !== 'pending' && entry.get('snoozedUntil') !== null) entry.set('snoozedUntil', null);
		// A closed conversation is over: the next one may get the away message again.
		if (parsed === 'closed' && entry.get('awaySentAt') != null) entry.set('awaySentAt', null);
	});
}

/** The away message went out for this conversation. */
export function markAwaySent(doc: Y.Doc, id: string, at: string): void {
	entryOf(doc, id).set('awaySentAt', isoTime.parse(at));
}

export function assignThread(doc: Y.Doc, id: string, userId: string | null): void {
	const parsed = docId.nullable().parse(userId);
	const entry = entryOf(doc, id);
	if (entry.get('assigneeId') !== parsed) entry.set('assigneeId', parsed);
}

export function addThreadTag(doc: Y.Doc, id: string, value: string): void {
	const parsed = tag.parse(value);
	const tags = tagsOf(entryOf(doc, id));
	if (tags.toArray().includes(parsed)) return;
	if (tags.length >= MAX_TAGS_PER_THREAD) throw new Error('too many tags on one thread');
	tags.push([parsed]);
}

export function removeThreadTag(doc: Y.Doc, id: string, value: string): void {
	const tags = tagsOf(entryOf(doc, id));
	doc.transact(() => {
		for (let i = tags.length - 1; i >= 0; i--) if (tags.get(i) === value) tags.delete(i, 1);
	});
}

/** Puts a thread aside until a time (status pending); null wakes it now. */
export function snoozeThread(doc: Y.Doc, id: string, until: string | null): void {
	const parsed = isoTime.nullable().parse(until);
	const entry = entryOf(doc, id);
	doc.transact(() => {
		entry.set('snoozedUntil', parsed);
		entry.set('status', parsed ? 'pending' : 'open');
	});
}

/** The user has seen everything received so far, and their mentions. */
export function markThreadRead(doc: Y.Doc, id: string, userId: string): void {
	const user = docId.parse(userId);
	const entry = entryOf(doc, id);
	const count = entry.get('inboundCount');
	const seen = typeof count === 'number' ? count : 0;
	doc.transact(() => {
		const readBy = readByOf(entry);
		if (readBy.get(user) !== seen) readBy.set(user, seen);
		const mentioned = mentionedOf(entry);
		if (mentioned.has(user)) mentioned.delete(user);
	});
}

export function noteMentions(doc: Y.Doc, id: string, userIds: readonly string[]): void {
	const users = z.array(docId).max(50).parse(userIds);
	const entry = entryOf(doc, id);
	doc.transact(() => {
		const mentioned = mentionedOf(entry);
		for (const u of users) mentioned.set(u, true);
	});
}

export function clearMissedCall(doc: Y.Doc, id: string): void {
	const entry = entryOf(doc, id);
	if (entry.get('missedCall') !== false) entry.set('missedCall', false);
}

export function unreadCount(summary: ThreadSummary, userId: string): number {
	return Math.max(0, summary.inboundCount - (summary.readBy[userId] ?? 0));
}

export function isSnoozed(summary: ThreadSummary, now: Date): boolean {
	return summary.snoozedUntil !== null && Date.parse(summary.snoozedUntil) > now.getTime();
}

/** The status staff see: a snooze that has run out counts as open, without anyone having to write it. */
export function effectiveStatus(summary: ThreadSummary, now: Date): ThreadStatus {
	if (summary.snoozedUntil !== null && !isSnoozed(summary, now) && summary.status === 'pending') return 'open';
	return summary.status;
}

/**
 * The summary side of merging thread `goneId` into `keepId`: the kept one takes the later activity, both counts
 * and every tag; the merged one stays, pointing at the kept one. The entries move with `copyEntries` (thread.ts).
 */
export function mergeThreads(doc: Y.Doc, keepId: string, goneId: string): void {
	if (keepId === goneId) throw new Error('a thread cannot be merged into itself');
	const keep = readThreadSummary(doc, keepId);
	const gone = readThreadSummary(doc, goneId);
	if (!keep || !gone) throw new Error('no such thread');
	doc.transact(() => {
		const entry = entryOf(doc, keepId);
		if (gone.lastMessageAt > keep.lastMessageAt) {
			entry.set('lastMessageAt', gone.lastMessageAt);
			entry.set('lastPreview', gone.lastPreview);
			entry.set('lastDirection', gone.lastDirection);
		}
		if (gone.lastInboundAt && (!keep.lastInboundAt || gone.lastInboundAt > keep.lastInboundAt)) {
			entry.set('lastInboundAt', gone.lastInboundAt);
		}
		entry.set('inboundCount', keep.inboundCount + gone.inboundCount);
		// Read markers add up the same way, so what was unread in either stays unread.
		const readBy = readByOf(entry);
		for (const user of new Set([...Object.keys(keep.readBy), ...Object.keys(gone.readBy)])) {
			readBy.set(user, (keep.readBy[user] ?? 0) + (gone.readBy[user] ?? 0));
		}
		const tags = tagsOf(entry);
		for (const t of gone.tags) if (!keep.tags.includes(t) && tags.length < MAX_TAGS_PER_THREAD) tags.push([t]);
		if (gone.missedCall) entry.set('missedCall', true);
		const mentioned = mentionedOf(entry);
		for (const u of gone.mentioned) mentioned.set(u, true);
		entryOf(doc, goneId).set('mergedInto', keepId);
	});
}

/**
 * Calls `changed` with the ids of the threads whose summary changed in each transaction (for indexes kept from
 * the doc); returns the function that stops it.
 */
export function observeThreads(doc: Y.Doc, changed: (threadIds: string[]) => void): () => void {
	return observeEntryChanges(threadsMap(doc), changed);
}
