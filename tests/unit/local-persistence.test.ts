import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrontdeskDatabase } from '../../src/lib/local/db.ts';
import { ARRIVED_WRITE_GAP_MS, DocPersistence, STORED_ROW_BYTES } from '../../src/lib/local/DocPersistence.ts';
import { listThreadSummaries, openThread, recordActivity } from '../../src/lib/domain/inbox.ts';
import { addAppointment, listAppointments, scheduleDoc } from '../../src/lib/domain/schedule.ts';

const base = { practitionerId: 'p1', durationMinutes: 30, patientName: 'Deniz Koç' };
let n = 0;
const databases: FrontdeskDatabase[] = [];
function database(): FrontdeskDatabase {
	const db = new FrontdeskDatabase(`test-${++n}`);
	databases.push(db);
	return db;
}

afterEach(async () => {
	for (const db of databases.splice(0)) await db.delete();
});

describe('DEVICE-STORE-1, DEVICE-STORE-3: Dexie persistence of Yjs docs', () => {
	it('writes every update and reloads an identical doc', async () => {
		const db = database();
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, 'c1/schedule/2026-11', doc);
		await persistence.ready;
		for (let i = 0; i < 20; i++)
			addAppointment(scheduleDoc('c1/schedule/2026-11', doc), {
				...base,
				start: `2026-11-25T${String(8 + (i % 10)).padStart(2, '0')}:00`
			});
		await persistence.flushed();

		const reloaded = new Y.Doc();
		await new DocPersistence(db, 'c1/schedule/2026-11', reloaded).ready;
		expect(listAppointments(reloaded)).toEqual(listAppointments(doc));
		expect(Y.encodeStateVector(reloaded)).toEqual(Y.encodeStateVector(doc));
	});

	it('compacts many rows into one without losing anything', async () => {
		const db = database();
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, 'c1/schedule/2026-12', doc);
		await persistence.ready;
		for (let i = 0; i < 150; i++) {
			addAppointment(scheduleDoc('c1/schedule/2026-12', doc), { ...base, start: '2026-12-01T09:00', patientName: `Hasta ${i}` });
			await persistence.flushed(); // one row per edit, as when a person types
		}
		expect(await db.docUpdates.where('docName').equals('c1/schedule/2026-12').count()).toBeLessThan(100);
		await persistence.compact();
		expect(await db.docUpdates.where('docName').equals('c1/schedule/2026-12').count()).toBe(1);

		const reloaded = new Y.Doc();
		await new DocPersistence(db, 'c1/schedule/2026-12', reloaded).ready;
		expect(Y.encodeStateAsUpdate(reloaded)).toEqual(Y.encodeStateAsUpdate(doc));
	});

	it('DEVICE-STORE-5: a big doc is stored in bounded rows and loaded in several steps, identical', async () => {
		const db = database();
		// What a fresh device receives in its first sync of a busy inbox: one update of about 1.6 MB.
		const source = new Y.Doc();
		source.transact(() => {
			for (let i = 0; i < 3000; i++) {
				const at = new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString();
				const id = openThread(source, { contactId: `contact-${i}`, channel: 'whatsapp', at });
				recordActivity(source, id, { at, preview: `Merhaba ${i}`, direction: 'in' });
			}
		});
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, 'c1/inbox', doc);
		await persistence.ready;
		Y.applyUpdate(doc, Y.encodeStateAsUpdate(source), 'server');
		await persistence.flushed();
		const rows = await db.docUpdates.where('docName').equals('c1/inbox').toArray();
		expect(rows.length).toBeGreaterThan(10);
		for (const row of rows) expect(row.update.length).toBeLessThanOrEqual(STORED_ROW_BYTES);

		const reloaded = new Y.Doc();
		let transactions = 0;
		reloaded.on('afterTransaction', () => transactions++);
		const again = new DocPersistence(db, 'c1/inbox', reloaded);
		await again.ready;
		expect(transactions).toBeGreaterThan(10);
		expect(listThreadSummaries(reloaded)).toEqual(listThreadSummaries(source));
		expect(Y.encodeStateVector(reloaded)).toEqual(Y.encodeStateVector(source));

		// The pieces count as one write: the next 90 small writes do not compact a doc stored in 20+ rows.
		const ids = listThreadSummaries(reloaded).map((s) => s.id);
		for (let i = 0; i < 90; i++) {
			recordActivity(reloaded, ids[i], { at: '2026-11-30T10:00:00.000Z', preview: 'x', direction: 'in' });
			await again.flushed();
		}
		expect(await db.docUpdates.where('docName').equals('c1/inbox').count()).toBe(rows.length + 90);
	}, 30_000);

	it('keeps docs apart', async () => {
		const db = database();
		const a = new Y.Doc();
		const pa = new DocPersistence(db, 'c1/directory', a);
		a.getMap('m').set('k', 'directory');
		await pa.flushed();
		const b = new Y.Doc();
		await new DocPersistence(db, 'c1/inbox', b).ready;
		expect(b.getMap('m').size).toBe(0);
	});

	it('counts this device’s edits as pending until the server’s state vector covers them', async () => {
		const db = database();
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, 'c1/schedule/2026-11', doc);
		addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, start: '2026-11-25T10:00' });
		const afterFirst = Y.getState(doc.store, doc.clientID);
		addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, start: '2026-11-25T11:00' });
		// Edits that arrived from elsewhere are not ours to confirm.
		const remote = new Y.Doc();
		remote.getMap('m').set('x', 1);
		Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote), 'remote-provider');
		await persistence.flushed();
		expect(await db.pendingChanges.count()).toBe(2);

		await persistence.confirm(new Map([[doc.clientID, afterFirst]]));
		expect(await db.pendingChanges.count()).toBe(1);
		await persistence.confirm(Y.decodeStateVector(Y.encodeStateVector(doc)));
		expect(await db.pendingChanges.count()).toBe(0);
	});
});

describe('DEVICE-STORE-6: a write IndexedDB refuses is tried again, and nothing after it is lost', () => {
	it('one failed write: it and every later update reach the disk; the doc reloads whole', async () => {
		const db = database();
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, 'c1/schedule/2026-11', doc);
		await persistence.ready;
		const original = db.docUpdates.bulkAdd.bind(db.docUpdates);
		const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
		let refusals = 1;
		const spy = vi.spyOn(db.docUpdates, 'bulkAdd').mockImplementation(((...args: Parameters<typeof original>) => {
			if (refusals-- > 0) return Promise.reject(new Error('QuotaExceededError'));
			return original(...args);
		}) as typeof original);
		addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, start: '2026-11-25T09:00' });
		addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, start: '2026-11-25T10:00' });
		await persistence.flushed();
		spy.mockRestore();
		quiet.mockRestore();
		addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, start: '2026-11-25T11:00' });
		await persistence.flushed();
		persistence.destroy();
		const reloaded = new Y.Doc();
		await new DocPersistence(db, 'c1/schedule/2026-11', reloaded).ready;
		expect(listAppointments(reloaded).map((a) => a.start)).toEqual(['2026-11-25T09:00', '2026-11-25T10:00', '2026-11-25T11:00']);
	});
});

describe('DEVICE-STORE-7: changes that arrived are written together; confirming costs nothing when none is this device’s', () => {
	const NAME = 'c1/note/patient-1';
	/** A colleague's keystrokes, each a change that arrives here on its own. */
	function colleagueTyping(keys: number): Uint8Array[] {
		const colleague = new Y.Doc();
		const updates: Uint8Array[] = [];
		colleague.on('update', (update: Uint8Array) => updates.push(update));
		for (let i = 0; i < keys; i++) colleague.getText('body').insert(i, 'a');
		return updates;
	}

	it('keystrokes arriving 70 ms apart are written about every 250 ms, the first at once; a local edit takes them along', async () => {
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
		try {
			const db = database();
			const doc = new Y.Doc();
			const persistence = new DocPersistence(db, NAME, doc);
			await persistence.ready;
			const rows = () => db.docUpdates.where('docName').equals(NAME).count();
			const keys = colleagueTyping(15);
			Y.applyUpdate(doc, keys[0], 'server');
			await vi.advanceTimersByTimeAsync(0);
			expect(await rows()).toBe(1);
			for (const update of keys.slice(1)) {
				await vi.advanceTimersByTimeAsync(70);
				Y.applyUpdate(doc, update, 'server');
			}
			await vi.advanceTimersByTimeAsync(ARRIVED_WRITE_GAP_MS);
			// 15 keystrokes over about a second: one write per quarter second, not one per key.
			expect(await rows()).toBeLessThanOrEqual(1 + Math.ceil((14 * 70) / ARRIVED_WRITE_GAP_MS));

			// One arrives, then this person types: both go in one write, without waiting for the gap.
			const before = await rows();
			for (const update of colleagueTyping(1)) Y.applyUpdate(doc, update, 'server');
			doc.getMap('meta').set('title', 'Muayene notu');
			await vi.advanceTimersByTimeAsync(0);
			await persistence.flushed();
			expect(await rows()).toBe(before + 1);
			expect(await db.pendingChanges.where('docName').equals(NAME).count()).toBe(1);

			persistence.destroy();
			const reloaded = new Y.Doc();
			await new DocPersistence(db, NAME, reloaded).ready;
			expect(Y.encodeStateVector(reloaded)).toEqual(Y.encodeStateVector(doc));
			expect(reloaded.getText('body').length).toBe(16);
		} finally {
			vi.useRealTimers();
		}
	});

	it('a delayed write that wakes before the page’s clock says the gap is over leaves later edits stored', async () => {
		// The timers are the test's and the page's clock is real: each delayed write wakes "early", as a browser's
		// timer may by a millisecond against `performance.now()`.
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
		try {
			const db = database();
			const doc = new Y.Doc();
			const persistence = new DocPersistence(db, NAME, doc);
			await persistence.ready;
			const [first, second] = colleagueTyping(2);
			Y.applyUpdate(doc, first, 'server');
			await vi.advanceTimersByTimeAsync(0);
			await persistence.flushed();
			Y.applyUpdate(doc, second, 'server');
			await vi.advanceTimersByTimeAsync(ARRIVED_WRITE_GAP_MS);
			// An edit made here afterwards is stored, with what arrived (before, the doc's writes had stopped for good:
			// a booking made offline was gone after a reload).
			doc.getMap('meta').set('title', 'Randevu: Selin Aydın');
			await vi.advanceTimersByTimeAsync(0);
			await persistence.flushed();
			expect(await db.pendingChanges.where('docName').equals(NAME).count()).toBe(1);
			const reloaded = new Y.Doc();
			await new DocPersistence(db, NAME, reloaded).ready;
			expect(reloaded.getMap('meta').get('title')).toBe('Randevu: Selin Aydın');
			expect(reloaded.getText('body').length).toBe(2);
		} finally {
			vi.useRealTimers();
		}
	});

	it('a closing doc writes what arrived at once (nothing waits for the gap)', async () => {
		const db = database();
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, NAME, doc);
		await persistence.ready;
		for (const update of colleagueTyping(5)) Y.applyUpdate(doc, update, 'server');
		await persistence.flushed();
		const reloaded = new Y.Doc();
		await new DocPersistence(db, NAME, reloaded).ready;
		expect(reloaded.getText('body').toString()).toBe('aaaaa');
	});

	it('a server message that confirms none of this device’s edits does not touch the pending table', async () => {
		const db = database();
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, NAME, doc);
		await persistence.ready;
		doc.getMap('meta').set('title', 'Muayene notu');
		await persistence.flushed();
		const colleague = colleagueTyping(10);
		const reads = vi.spyOn(db.pendingChanges, 'where');
		for (const update of colleague) {
			Y.applyUpdate(doc, update, 'server');
			await persistence.confirm(Y.parseUpdateMeta(update).to);
		}
		expect(reads).not.toHaveBeenCalled();
		expect(await db.pendingChanges.count()).toBe(1);
		// The message that covers this device's edit confirms it.
		await persistence.confirm(new Map([[doc.clientID, Y.getState(doc.store, doc.clientID)]]));
		expect(reads).toHaveBeenCalled();
		expect(await db.pendingChanges.count()).toBe(0);
		reads.mockRestore();
	});

	it('confirming waits only for what was queued before it: a colleague typing during every write does not hold it up', async () => {
		const db = database();
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, NAME, doc);
		await persistence.ready;
		// A keystroke of theirs arrives during every write of this device, ten in all.
		const keys = colleagueTyping(10);
		const bulkAdd = db.docUpdates.bulkAdd.bind(db.docUpdates);
		const writes = vi.spyOn(db.docUpdates, 'bulkAdd').mockImplementation(((...args: Parameters<typeof bulkAdd>) => {
			const key = keys.shift();
			if (key) Y.applyUpdate(doc, key, 'server');
			return bulkAdd(...args);
		}) as typeof bulkAdd);
		doc.getMap('meta').set('title', 'Muayene notu');
		await persistence.confirm(new Map([[doc.clientID, Y.getState(doc.store, doc.clientID)]]));
		expect(await db.pendingChanges.count()).toBe(0);
		await persistence.flushed();
		writes.mockRestore();
		const reloaded = new Y.Doc();
		await new DocPersistence(db, NAME, reloaded).ready;
		expect(reloaded.getMap('meta').get('title')).toBe('Muayene notu');
	});

	it('edits left pending by an earlier session are confirmed by the next one', async () => {
		const db = database();
		const doc = new Y.Doc();
		const first = new DocPersistence(db, NAME, doc);
		await first.ready;
		doc.getMap('meta').set('title', 'Muayene notu');
		await first.flushed();
		first.destroy();
		const again = new DocPersistence(db, NAME, new Y.Doc());
		await again.confirm(Y.decodeStateVector(Y.encodeStateVector(doc)));
		expect(await db.pendingChanges.count()).toBe(0);
	});
});
