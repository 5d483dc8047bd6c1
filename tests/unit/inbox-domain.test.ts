import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	addPhone,
	contactLabel,
	createContact,
	findContact,
	findOrCreateContact,
	listContacts,
	mergeContacts,
	normalizePhone,
	readContact,
	resolveContact
} from '../../src/lib/domain/contacts.ts';
import {
	addThreadTag,
	assignThread,
	effectiveStatus,
	findThreadFor,
	listThreadSummaries,
	markThreadRead,
	mergeThreads,
	noteMentions,
	openThread,
	readThreadSummary,
	recordActivity,
	setThreadStatus,
	snoozeThread,
	unreadCount
} from '../../src/lib/domain/inbox.ts';
import {
	addComment,
	appendCall,
	appendInbound,
	copyEntries,
	queueReply,
	queuedReplies,
	readEntries,
	retryReply,
	setDeliveryStatus,
	withinServiceWindow
} from '../../src/lib/domain/thread.ts';

const sync = (a: Y.Doc, b: Y.Doc) => {
	Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
	Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
};

describe('contacts', () => {
	it('reads every usual spelling of a Turkish mobile number as one E.164 number', () => {
		for (const spelling of [
			'0532 123 45 67',
			'+90 532 1234567',
			'905321234567',
			'(0532) 123-45-67',
			'00905321234567',
			'5321234567'
		]) {
			expect(normalizePhone(spelling), spelling).toBe('+905321234567');
		}
		expect(normalizePhone('12345')).toBeNull();
		expect(normalizePhone('not a number')).toBeNull();
		expect(normalizePhone('+44 20 7946 0958')).toBe('+442079460958');
	});

	it('finds a contact by any spelling of its number, by email and by channel identity', () => {
		const doc = new Y.Doc();
		const id = createContact(doc, {
			name: 'Ayşe Yılmaz',
			phones: ['0532 123 45 67'],
			emails: ['Ayse@Example.com'],
			identities: [{ channel: 'instagram', id: '178414' }]
		});
		expect(findContact(doc, { phone: '905321234567' })?.id).toBe(id);
		expect(findContact(doc, { email: 'ayse@example.com' })?.id).toBe(id);
		expect(findContact(doc, { identity: { channel: 'instagram', id: '178414' } })?.id).toBe(id);
		expect(findContact(doc, { phone: '0533 000 00 00' })).toBeNull();
	});

	it('never uses personal data as a map key', () => {
		const doc = new Y.Doc();
		const id = createContact(doc, { name: 'Ayşe', phones: ['05321234567'] });
		expect([...doc.getMap('contacts').keys()]).toEqual([id]);
		const entry = doc.getMap('contacts').get(id) as Y.Map<unknown>;
		for (const key of entry.keys()) expect(key).toMatch(/^[a-zA-Z]+$/);
	});

	it('refuses an invalid number on create and changes nothing', () => {
		const doc = new Y.Doc();
		expect(() => createContact(doc, { name: 'X', phones: ['123'] })).toThrow(/phone/);
		expect(listContacts(doc)).toEqual([]);
	});

	it('finds or creates, adding what the event knows and the contact lacks', () => {
		const doc = new Y.Doc();
		const first = findOrCreateContact(doc, { phone: '905321234567', identity: { channel: 'whatsapp', id: '905321234567' } });
		expect(first.created).toBe(true);
		const again = findOrCreateContact(doc, { phone: '0532 123 45 67', name: 'Ayşe' });
		expect(again.created).toBe(false);
		expect(again.contact.id).toBe(first.contact.id);
		expect(again.contact.name).toBe('Ayşe');
		expect(listContacts(doc)).toHaveLength(1);
	});

	it('merges two contacts without losing a number, an email or an identity', () => {
		const doc = new Y.Doc();
		const keep = createContact(doc, { name: 'Ayşe', phones: ['05321234567'] });
		const gone = createContact(doc, {
			name: '',
			phones: ['05329998877'],
			emails: ['a@b.co'],
			identities: [{ channel: 'whatsapp', id: '905329998877' }]
		});
		mergeContacts(doc, keep, gone);
		const kept = readContact(doc, keep)!;
		expect(kept.phones.sort()).toEqual(['+905321234567', '+905329998877']);
		expect(kept.emails).toEqual(['a@b.co']);
		expect(kept.identities).toEqual([{ channel: 'whatsapp', id: '905329998877' }]);
		expect(resolveContact(doc, gone)?.id).toBe(keep);
		expect(findContact(doc, { phone: '0532 999 88 77' })?.id).toBe(keep);
		expect(listContacts(doc).map((c) => c.id)).toEqual([keep]);
	});

	it('keeps numbers two devices add at once', () => {
		const a = new Y.Doc();
		const id = createContact(a, { name: 'Ayşe' });
		const b = new Y.Doc();
		sync(a, b);
		addPhone(a, id, '05321234567');
		addPhone(b, id, '05331234567');
		sync(a, b);
		expect(readContact(a, id)!.phones.sort()).toEqual(['+905321234567', '+905331234567']);
		expect(contactLabel(readContact(a, id)!)).toBe('Ayşe');
	});
});

describe('inbox summaries', () => {
	const at = (m: number) => new Date(Date.UTC(2026, 10, 26, 10, m)).toISOString();

	it('counts unread per person and reopens a closed thread on a new message', () => {
		const doc = new Y.Doc();
		const id = openThread(doc, { contactId: 'c1', channel: 'whatsapp', at: at(0) });
		recordActivity(doc, id, { at: at(1), preview: 'Merhaba', direction: 'in' });
		recordActivity(doc, id, { at: at(2), preview: 'Randevu?', direction: 'in' });
		let s = readThreadSummary(doc, id)!;
		expect(unreadCount(s, 'u1')).toBe(2);
		markThreadRead(doc, id, 'u1');
		s = readThreadSummary(doc, id)!;
		expect(unreadCount(s, 'u1')).toBe(0);
		expect(unreadCount(s, 'u2')).toBe(2);
		setThreadStatus(doc, id, 'closed');
		recordActivity(doc, id, { at: at(3), preview: 'Yine ben', direction: 'in' });
		s = readThreadSummary(doc, id)!;
		expect(s.status).toBe('open');
		expect(s.lastPreview).toBe('Yine ben');
		expect(s.lastInboundAt).toBe(at(3));
	});

	it('never lets a late event hide a newer last message', () => {
		const doc = new Y.Doc();
		const id = openThread(doc, { contactId: 'c1', channel: 'whatsapp', at: at(0) });
		recordActivity(doc, id, { at: at(5), preview: 'newer', direction: 'out' });
		recordActivity(doc, id, { at: at(4), preview: 'older', direction: 'in' });
		expect(readThreadSummary(doc, id)!.lastPreview).toBe('newer');
	});

	it('a snooze is pending until its time, then counts as open; a message ends it', () => {
		const doc = new Y.Doc();
		const id = openThread(doc, { contactId: 'c1', channel: 'web', at: at(0) });
		snoozeThread(doc, id, at(30));
		const s = readThreadSummary(doc, id)!;
		expect(effectiveStatus(s, new Date(at(10)))).toBe('pending');
		expect(effectiveStatus(s, new Date(at(31)))).toBe('open');
		recordActivity(doc, id, { at: at(12), preview: 'hi', direction: 'in' });
		expect(readThreadSummary(doc, id)!.snoozedUntil).toBeNull();
	});

	it('keeps an assignment and a tag made at once on two devices', () => {
		const a = new Y.Doc();
		const id = openThread(a, { contactId: 'c1', channel: 'instagram', at: at(0) });
		const b = new Y.Doc();
		sync(a, b);
		assignThread(a, id, 'u1');
		addThreadTag(b, id, 'implant');
		sync(a, b);
		const s = readThreadSummary(b, id)!;
		expect(s.assigneeId).toBe('u1');
		expect(s.tags).toEqual(['implant']);
	});

	it('merging threads keeps both counts, every tag and the later message; mentions clear when read', () => {
		const doc = new Y.Doc();
		const keep = openThread(doc, { contactId: 'c1', channel: 'whatsapp', at: at(0) });
		const gone = openThread(doc, { contactId: 'c2', channel: 'web', at: at(0) });
		recordActivity(doc, keep, { at: at(1), preview: 'a', direction: 'in' });
		recordActivity(doc, gone, { at: at(2), preview: 'b', direction: 'in' });
		addThreadTag(doc, gone, 'vip');
		noteMentions(doc, gone, ['u2']);
		mergeThreads(doc, keep, gone);
		const s = readThreadSummary(doc, keep)!;
		expect(s.inboundCount).toBe(2);
		expect(s.lastPreview).toBe('b');
		expect(s.tags).toEqual(['vip']);
		expect(s.mentioned).toEqual(['u2']);
		expect(listThreadSummaries(doc).map((t) => t.id)).toEqual([keep]);
		expect(findThreadFor(doc, 'c2')).toBeNull();
		markThreadRead(doc, keep, 'u2');
		expect(readThreadSummary(doc, keep)!.mentioned).toEqual([]);
	});

	it('refuses bad input and changes nothing', () => {
		const doc = new Y.Doc();
		const id = openThread(doc, { contactId: 'c1', channel: 'whatsapp', at: at(0) });
		const before = Y.encodeStateAsUpdate(doc);
		expect(() => setThreadStatus(doc, id, 'archived' as never)).toThrow();
		expect(() => assignThread(doc, id, 'Not An Id')).toThrow();
		expect(() => addThreadTag(doc, id, '')).toThrow();
		expect(() => openThread(doc, { contactId: 'c1', channel: 'fax' as never })).toThrow();
		expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
	});
});

describe('thread entries', () => {
	it('an inbound message delivered twice is one entry', () => {
		const doc = new Y.Doc();
		const first = appendInbound(doc, {
			channel: 'whatsapp',
			at: '2026-11-26T10:00:00Z',
			text: 'Merhaba',
			messageType: 'text',
			providerMessageId: 'wamid.1'
		});
		const again = appendInbound(doc, {
			channel: 'whatsapp',
			at: '2026-11-26T10:00:00Z',
			text: 'Merhaba',
			messageType: 'text',
			providerMessageId: 'wamid.1'
		});
		expect(again).toBe(first);
		expect(readEntries(doc)).toHaveLength(1);
	});

	it('delivery statuses only move forward; failure carries its reason; a retry is a new attempt', () => {
		const doc = new Y.Doc();
		const id = queueReply(doc, { channel: 'whatsapp', text: 'Yarın 10:00 uygun', authorId: 'u1' });
		expect(queuedReplies(doc).map((e) => e.id)).toEqual([id]);
		expect(setDeliveryStatus(doc, id, 'sent')).toBe(true);
		expect(setDeliveryStatus(doc, id, 'read')).toBe(true);
		expect(setDeliveryStatus(doc, id, 'delivered')).toBe(false);
		expect(readEntries(doc)[0].status).toBe('read');

		const other = queueReply(doc, { channel: 'whatsapp', text: 'x', authorId: 'u1' });
		setDeliveryStatus(doc, other, 'failed', { code: '131047', message: 'Re-engagement message' });
		const failed = readEntries(doc).find((e) => e.id === other)!;
		expect(failed.error).toEqual({ code: '131047', message: 'Re-engagement message' });
		retryReply(doc, other);
		const retried = readEntries(doc).find((e) => e.id === other)!;
		expect([retried.status, retried.attempt, retried.error]).toEqual(['queued', 2, null]);
		expect(() => retryReply(doc, id)).toThrow();
	});

	it('a reply needs text or a template, within the length limit', () => {
		const doc = new Y.Doc();
		expect(() => queueReply(doc, { channel: 'whatsapp', text: '  ', authorId: 'u1' })).toThrow();
		expect(() => queueReply(doc, { channel: 'whatsapp', text: 'x'.repeat(4097), authorId: 'u1' })).toThrow();
		queueReply(doc, {
			channel: 'whatsapp',
			authorId: 'u1',
			template: { name: 'appointment_reminder', language: 'tr', params: ['10:00'] }
		});
		expect(readEntries(doc)[0].messageType).toBe('template');
	});

	it('keeps replies and comments written at once on two devices, in one order on both', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const now = new Date('2026-11-26T10:00:00Z');
		queueReply(a, { channel: 'whatsapp', text: 'from A', authorId: 'u1' }, now);
		addComment(b, { text: 'from B @u1', authorId: 'u2', mentions: ['u1'] }, now);
		sync(a, b);
		expect(readEntries(a).map((e) => e.text)).toEqual(readEntries(b).map((e) => e.text));
		expect(readEntries(a)).toHaveLength(2);
	});

	it('the 24-hour window', () => {
		const now = new Date('2026-11-26T10:00:00Z');
		expect(withinServiceWindow('2026-11-25T10:00:01Z', now)).toBe(true);
		expect(withinServiceWindow('2026-11-25T09:59:59Z', now)).toBe(false);
		expect(withinServiceWindow(null, now)).toBe(false);
	});

	it('copying entries for a merge never queues a reply twice', () => {
		const from = new Y.Doc();
		const to = new Y.Doc();
		queueReply(from, { channel: 'whatsapp', text: 'pending', authorId: 'u1' });
		appendCall(from, { at: '2026-11-26T09:00:00Z', outcome: 'missed', durationSeconds: 0, providerCallId: 'CA1' });
		expect(copyEntries(from, to)).toBe(2);
		expect(queuedReplies(to)).toEqual([]);
		expect(
			readEntries(to)
				.map((e) => e.kind)
				.sort()
		).toEqual(['call', 'message']);
	});
});
