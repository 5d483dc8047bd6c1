import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { FrontdeskDatabase } from '../../src/lib/local/db.ts';
import { DocHandles, KEEP_RECENT_DOCS } from '../../src/lib/local/DocHandles.ts';
import { docNames } from '../../src/lib/domain/docName.ts';

let n = 0;
const databases: FrontdeskDatabase[] = [];
const handleSets: DocHandles<{ close(): void }>[] = [];

/** Handles whose "socket" records that it opened and closed, in order. */
function setup(keepRecent = 2) {
	const db = new FrontdeskDatabase(`lifecycle-${++n}`);
	databases.push(db);
	const events: string[] = [];
	const docs = new DocHandles(db, {
		keepRecent,
		attach: (name) => {
			events.push(`open ${name}`);
			return { close: () => events.push(`close ${name}`) };
		}
	});
	handleSets.push(docs);
	return { db, docs, events };
}

afterEach(async () => {
	for (const docs of handleSets.splice(0)) await docs.closeAll();
	for (const db of databases.splice(0)) await db.delete();
});

const month = (m: string) => docNames.schedule('c1', m);

describe('DEVICE-DOCS-1: docs are acquired and released, kept by the policy of their kind', () => {
	it('holders share one doc and one socket; it closes only after the last release', () => {
		const { docs, events } = setup();
		const a = docs.acquire(docNames.note('c1', 'p1'));
		const b = docs.acquire(docNames.note('c1', 'p1'));
		expect(a.doc).toBe(b.doc);
		a.release();
		a.release(); // a second release of the same handle gives nothing back twice
		expect(docs.openNames).toEqual(['c1/note/p1']);
		b.release();
		expect(docs.openNames).toEqual([]);
		expect(events).toEqual(['open c1/note/p1', 'close c1/note/p1']);
	});

	it('directory, contacts and inbox stay open after release until sign-out', async () => {
		const { docs, events } = setup();
		for (const name of [docNames.directory('c1'), docNames.contacts('c1'), docNames.inbox('c1')]) docs.acquire(name).release();
		expect(docs.openNames).toEqual(['c1/directory', 'c1/contacts', 'c1/inbox']);
		expect(events.filter((e) => e.startsWith('close'))).toEqual([]);
		await docs.closeAll();
		expect(docs.openNames).toEqual([]);
		expect(events.filter((e) => e.startsWith('close'))).toHaveLength(3);
	});

	it('released months and threads stay open while recent; the least recently released is closed first', () => {
		const { docs, events } = setup(2);
		docs.acquire(month('2026-09')).release();
		docs.acquire(docNames.thread('c1', 't1')).release();
		docs.acquire(month('2026-10')).release();
		expect(docs.openNames).toEqual(['c1/thread/t1', 'c1/schedule/2026-10']);
		expect(events).toContain('close c1/schedule/2026-09');
		// Taking one back makes it the most recent again.
		docs.acquire(docNames.thread('c1', 't1')).release();
		docs.acquire(month('2026-11')).release();
		expect(docs.openNames).toEqual(['c1/thread/t1', 'c1/schedule/2026-11']);
	});

	it('a held month is never closed, however many are browsed', () => {
		const { docs } = setup(1);
		const held = docs.acquire(month('2026-01'));
		for (const m of ['2026-02', '2026-03', '2026-04']) docs.acquire(month(m)).release();
		expect(docs.openNames).toContain('c1/schedule/2026-01');
		expect(docs.openNames).toHaveLength(2);
		held.release();
	});

	it('the default keeps a named number of recent docs', () => {
		expect(KEEP_RECENT_DOCS).toBeGreaterThan(0);
	});

	it('a closed doc’s edits are on disk and a reopening reads them, even when reopened at once', async () => {
		const { docs } = setup(0);
		const first = docs.acquire(month('2026-11'));
		await first.loaded;
		first.doc.getMap('m').set('k', 'saved before closing');
		first.release(); // closes at once (keepRecent 0): its write may still be under way
		const again = docs.acquire(month('2026-11'));
		expect(again.doc).not.toBe(first.doc);
		await again.loaded;
		expect(again.doc.getMap('m').get('k')).toBe('saved before closing');
		expect(first.doc.isDestroyed).toBe(true);
		again.release();
	});

	it('a closed doc is freed: its Y.Doc is destroyed once its writes are done', async () => {
		const { docs } = setup();
		const note = docs.acquire(docNames.note('c1', 'p1'));
		await note.loaded;
		const destroyed = new Promise<void>((resolve) => note.doc.once('destroy', () => resolve()));
		note.release();
		await destroyed;
		expect(note.doc.isDestroyed).toBe(true);
	});

	it('refuses what is not a doc name', () => {
		const { docs } = setup();
		expect(() => docs.acquire('c1/nothing')).toThrow();
	});
});
