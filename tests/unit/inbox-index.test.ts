import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addPhone, createContact, updateContact } from '../../src/lib/domain/contacts.ts';
import {
	addThreadTag,
	assignThread,
	openThread,
	recordActivity,
	setThreadStatus,
	snoozeThread
} from '../../src/lib/domain/inbox.ts';
import Dexie from 'dexie';
import { FrontdeskDatabase } from '../../src/lib/local/db.ts';
import { INBOX_TABLES } from '../../src/lib/local/inboxTables.ts';
import { InboxIndex, queryThreads, threadTags } from '../../src/lib/local/inboxIndex.ts';

let n = 0;

async function setup() {
	const db = new FrontdeskDatabase(`inbox-index-${++n}`);
	const inbox = new Y.Doc();
	const contacts = new Y.Doc();
	const ipek = createContact(contacts, { name: 'İpek Şahin', phones: ['+90 532 123 45 67'] });
	const burak = createContact(contacts, { name: 'Burak Öz', phones: ['05441112233'] });
	const t1 = openThread(inbox, { contactId: ipek, channel: 'whatsapp', at: '2026-11-26T09:00:00Z' });
	recordActivity(inbox, t1, { at: '2026-11-26T09:00:00Z', preview: 'Implant randevusu istiyorum', direction: 'in' });
	const t2 = openThread(inbox, { contactId: burak, channel: 'instagram', at: '2026-11-26T10:00:00Z' });
	recordActivity(inbox, t2, { at: '2026-11-26T10:00:00Z', preview: 'Fiyat bilgisi?', direction: 'in' });
	const index = new InboxIndex(db, inbox, contacts);
	await index.start();
	return { db, inbox, contacts, index, ipek, burak, t1, t2 };
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe('the inbox query table', () => {
	it('lists the newest first and finds threads by name as typed, any phone spelling and message words', async () => {
		const { db, t1, t2 } = await setup();
		expect(ids(await queryThreads(db, {}, 50))).toEqual([t2, t1]);
		expect(ids(await queryThreads(db, { search: 'ipek' }, 50))).toEqual([t1]);
		expect(ids(await queryThreads(db, { search: 'SAHİN' }, 50))).toEqual([t1]);
		for (const typed of ['05321234567', '0532 123', '+90 532 123 45 67', '5321234567']) {
			expect(ids(await queryThreads(db, { search: typed }, 50)), typed).toEqual([t1]);
		}
		expect(ids(await queryThreads(db, { search: 'randevu' }, 50))).toEqual([t1]);
		expect(ids(await queryThreads(db, { search: 'fiyat' }, 50))).toEqual([t2]);
		expect(await queryThreads(db, { search: 'nobody' }, 50)).toEqual([]);
	});

	it('filters by assignee, unassigned, channel, status, snooze and tag', async () => {
		const { db, inbox, t1, t2 } = await setup();
		assignThread(inbox, t1, 'u1');
		addThreadTag(inbox, t2, 'implant');
		setThreadStatus(inbox, t2, 'closed');
		await new InboxIndex(db, inbox, new Y.Doc()).start();
		const index = new InboxIndex(db, inbox, new Y.Doc());
		await index.start();
		expect(ids(await queryThreads(db, { assignee: 'u1' }, 50))).toEqual([t1]);
		expect(ids(await queryThreads(db, { unassigned: true }, 50))).toEqual([t2]);
		expect(ids(await queryThreads(db, { channel: 'instagram' }, 50))).toEqual([t2]);
		expect(ids(await queryThreads(db, { status: 'closed' }, 50))).toEqual([t2]);
		expect(ids(await queryThreads(db, { tag: 'implant' }, 50))).toEqual([t2]);
		expect(await threadTags(db)).toEqual(['implant']);
		const now = new Date('2026-11-26T11:00:00Z');
		snoozeThread(inbox, t1, '2026-11-26T12:00:00Z');
		await index.start();
		expect(ids(await queryThreads(db, { status: 'snoozed' }, 50, now))).toEqual([t1]);
		expect(ids(await queryThreads(db, { status: 'open' }, 50, now))).toEqual([]);
		// Once the snooze has passed, it counts as open again without anyone writing.
		expect(ids(await queryThreads(db, { status: 'open' }, 50, new Date('2026-11-26T12:30:00Z')))).toEqual([t1]);
	});

	it('follows changes to summaries and contacts as they happen', async () => {
		const { db, inbox, contacts, index, ipek, t1 } = await setup();
		recordActivity(inbox, t1, { at: '2026-11-26T11:00:00Z', preview: 'Yarın gelebilir miyim?', direction: 'in' });
		updateContact(contacts, ipek, { name: 'İpek Kaya' });
		addPhone(contacts, ipek, '0533 999 88 77');
		await index.indexMessages(t1, []);
		expect(ids(await queryThreads(db, {}, 1))).toEqual([t1]);
		expect(ids(await queryThreads(db, { search: 'kaya' }, 50))).toEqual([t1]);
		expect(ids(await queryThreads(db, { search: '05339998877' }, 50))).toEqual([t1]);
		// Words of earlier messages stay findable after newer ones arrive.
		expect(ids(await queryThreads(db, { search: 'implant' }, 50))).toEqual([t1]);
		expect(ids(await queryThreads(db, { search: 'yarin' }, 50))).toEqual([t1]);
		await index.indexMessages(t1, ['Kontrol sonrası ağrı var']);
		expect(ids(await queryThreads(db, { search: 'agri' }, 50))).toEqual([t1]);
		index.stop();
	});

	it('INBOX-LIST-5: a change not yet indexed when the app closes is indexed at the next start', async () => {
		const db = new FrontdeskDatabase(`inbox-index-${++n}`);
		const inbox = new Y.Doc();
		const contacts = new Y.Doc();
		// The inbox arrives first; the contact arrives while the table is being written, as on a fresh device.
		const elsewhere = new Y.Doc();
		const contactId = createContact(elsewhere, { name: 'Emre Kalaycıoğlu', phones: ['+90 532 765 43 21'] });
		const thread = openThread(inbox, { contactId, channel: 'whatsapp', at: '2026-11-26T09:00:00Z' });
		db.threadRows.hook('creating', () => {
			if (contacts.getMap('contacts').size === 0) Y.applyUpdate(contacts, Y.encodeStateAsUpdate(elsewhere), 'server');
		});
		const first = new InboxIndex(db, inbox, contacts);
		await first.start();
		first.stop(); // the app closes before the contact's change is written
		expect((await db.threadRows.get(thread))?.contactLabel).toBe('');

		const next = new InboxIndex(db, inbox, contacts);
		await next.start();
		expect(ids(await queryThreads(db, { search: 'kalaycioglu' }, 50))).toEqual([thread]);
		next.stop();
	});

	it('a device upgrading from the table without `recency` lists newest first at once, filters still complete', async () => {
		const name = `inbox-index-${++n}`;
		const old = new Dexie(name);
		old.version(1).stores({ docUpdates: '++id, docName', pendingChanges: '++id, docName' });
		old.version(2).stores(INBOX_TABLES);
		const at = (i: number) => new Date(Date.UTC(2026, 10, 1, 9, i)).toISOString();
		await old.table('threadRows').bulkPut(
			Array.from({ length: 120 }, (_, i) => ({
				id: `t${i}`,
				contactId: `c${i}`,
				contactLabel: '',
				channel: 'whatsapp',
				summary: { status: 'open', snoozedUntil: null, lastMessageAt: at(i) },
				lastMessageAt: at(i),
				assigneeId: i === 3 ? 'me' : '',
				tags: [],
				words: [],
				messageWords: []
			}))
		);
		old.close();
		const db = new FrontdeskDatabase(name);
		expect(ids(await queryThreads(db, {}, 3))).toEqual(['t119', 't118', 't117']);
		// One assigned thread, far down the list: found past the first bounded read.
		expect(ids(await queryThreads(db, { assignee: 'me' }, 50))).toEqual(['t3']);
		db.close();
	});
});
