import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { findOrCreateContactFast, findOrOpenThread } from '../../server/channels/lookup.ts';
import { mergeContacts, readContact } from '../../src/lib/domain/contacts.ts';
import { mergeThreads, readThreadSummary, recordActivity } from '../../src/lib/domain/inbox.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';

const CHANNEL: TransactionOrigin = { source: 'channel', provider: 'whatsapp' };
const DEVICE: TransactionOrigin = { source: 'connection', userId: 'u1', sessionId: 's1' };
const now = new Date('2026-11-26T09:00:00Z');
const sender = (waId: string, name?: string) => ({
	identity: { channel: 'whatsapp' as const, id: waId },
	phone: `+${waId}`,
	...(name ? { name } : {})
});

/** Runs `edit` as the writer `origin` would (the index tells the channels' writes from everyone else's). */
function as<T>(doc: Y.Doc, origin: TransactionOrigin, edit: () => T): T {
	let result: T | undefined;
	doc.transact(() => (result = edit()), origin);
	return result as T;
}

describe("the channels' lookup index (server/channels/lookup.ts)", () => {
	it('finds a returning sender and their thread again, and completes what a repeat adds', () => {
		const contacts = new Y.Doc();
		const inbox = new Y.Doc();
		const first = as(contacts, CHANNEL, () => findOrCreateContactFast(contacts, sender('905321234567'), now));
		expect(as(contacts, CHANNEL, () => findOrCreateContactFast(contacts, sender('905321234567'), now))).toBe(first);
		expect(readContact(contacts, first)?.name).toBe('');
		// The same sender now with a profile name: the contact gets it (a confirmed lookup without one does not hide it).
		expect(as(contacts, CHANNEL, () => findOrCreateContactFast(contacts, sender('905321234567', 'Ayşe'), now))).toBe(first);
		expect(readContact(contacts, first)?.name).toBe('Ayşe');
		const thread = as(inbox, CHANNEL, () => findOrOpenThread(inbox, first, 'whatsapp', now.toISOString()));
		expect(thread.newThread).toBe(true);
		as(inbox, CHANNEL, () =>
			recordActivity(inbox, thread.threadId, { at: now.toISOString(), preview: 'Merhaba', direction: 'in' })
		);
		expect(as(inbox, CHANNEL, () => findOrOpenThread(inbox, first, 'whatsapp', now.toISOString()))).toEqual({
			threadId: thread.threadId,
			newThread: false
		});
	});

	it('a device merging contacts or threads is seen at the next lookup, confirmed or not', () => {
		const contacts = new Y.Doc();
		const inbox = new Y.Doc();
		const gone = as(contacts, CHANNEL, () => findOrCreateContactFast(contacts, sender('905321234567', 'Ayşe'), now));
		const keep = as(contacts, CHANNEL, () => findOrCreateContactFast(contacts, sender('905329999999', 'Ayşe Y.'), now));
		expect(as(contacts, CHANNEL, () => findOrCreateContactFast(contacts, sender('905321234567', 'Ayşe'), now))).toBe(gone);
		as(contacts, DEVICE, () => mergeContacts(contacts, keep, gone));
		expect(as(contacts, CHANNEL, () => findOrCreateContactFast(contacts, sender('905321234567', 'Ayşe'), now))).toBe(keep);

		const older = as(inbox, CHANNEL, () => findOrOpenThread(inbox, keep, 'whatsapp', now.toISOString())).threadId;
		expect(as(inbox, CHANNEL, () => findOrOpenThread(inbox, keep, 'whatsapp', now.toISOString())).threadId).toBe(older);
		const other = as(inbox, CHANNEL, () => findOrOpenThread(inbox, gone, 'whatsapp', now.toISOString())).threadId;
		as(inbox, DEVICE, () => mergeThreads(inbox, other, older));
		expect(readThreadSummary(inbox, older)?.mergedInto).toBe(other);
		const after = as(inbox, CHANNEL, () => findOrOpenThread(inbox, keep, 'whatsapp', now.toISOString()));
		expect(after.threadId).not.toBe(older);
	});
});
