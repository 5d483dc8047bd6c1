import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { FrontdeskDatabase } from '../../src/lib/local/db.ts';
import { DocPersistence, isLocalOrigin } from '../../src/lib/local/DocPersistence.ts';
import { STORE_ORIGIN } from '../../src/lib/domain/origin.ts';
import { addAppointment, deleteAppointment, listAppointments, scheduleDoc } from '../../src/lib/domain/schedule.ts';

const NAME = 'c1/schedule/2026-11';
const ERASED = 'Şebnem Erased-Patient';
let n = 0;
const databases: FrontdeskDatabase[] = [];
function database(): FrontdeskDatabase {
	const db = new FrontdeskDatabase(`compaction-${++n}`);
	databases.push(db);
	return db;
}

afterEach(async () => {
	for (const db of databases.splice(0)) await db.delete();
});

/** Whether `needle` occurs in `bytes` (a name stored as UTF-8 anywhere in an update). */
function contains(bytes: Uint8Array, needle: Uint8Array): boolean {
	outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
		for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
		return true;
	}
	return false;
}

async function storedBytes(db: FrontdeskDatabase): Promise<Uint8Array[]> {
	return (await db.docUpdates.where('docName').equals(NAME).toArray()).map((r) => r.update);
}

describe('DEVICE-STORE-4: compaction keeps no deleted content', () => {
	it('an erased name is gone from the stored rows after compaction, and the doc reloads identical', async () => {
		const db = database();
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, NAME, doc);
		await persistence.ready;
		const kept = addAppointment(scheduleDoc(NAME, doc), {
			practitionerId: 'p1',
			start: '2026-11-25T09:00',
			durationMinutes: 30,
			patientName: 'Kalan Hasta'
		});
		const erased = addAppointment(scheduleDoc(NAME, doc), {
			practitionerId: 'p1',
			start: '2026-11-25T10:00',
			durationMinutes: 30,
			patientName: ERASED
		});
		await persistence.flushed();
		deleteAppointment(doc, erased.id);
		await persistence.flushed();
		const name = new TextEncoder().encode(ERASED);
		// The premise: before compaction the name is on disk, in the row that added it.
		expect((await storedBytes(db)).some((bytes) => contains(bytes, name))).toBe(true);

		await persistence.compact();

		const rows = await storedBytes(db);
		expect(rows).toHaveLength(1);
		expect(contains(rows[0], name)).toBe(false);
		const reloaded = new Y.Doc();
		await new DocPersistence(db, NAME, reloaded).ready;
		expect(listAppointments(reloaded)).toEqual([kept]);
	});

	it('keeps rows another tab wrote that this doc had not seen', async () => {
		const db = database();
		const doc = new Y.Doc();
		const persistence = new DocPersistence(db, NAME, doc);
		await persistence.ready;
		const other = new Y.Doc();
		const otherPersistence = new DocPersistence(db, NAME, other);
		await otherPersistence.ready;
		const theirs = addAppointment(scheduleDoc(NAME, other), {
			practitionerId: 'p2',
			start: '2026-11-26T09:00',
			durationMinutes: 30,
			patientName: 'Öteki Sekme'
		});
		await otherPersistence.flushed();

		await persistence.compact();

		const reloaded = new Y.Doc();
		await new DocPersistence(db, NAME, reloaded).ready;
		expect(listAppointments(reloaded)).toEqual([theirs]);
	});
});

describe('DEVICE-STORE-3: origins', () => {
	it('state read back from IndexedDB carries STORE_ORIGIN and is not counted as a local edit', async () => {
		const db = database();
		const first = new Y.Doc();
		const p = new DocPersistence(db, NAME, first);
		addAppointment(scheduleDoc(NAME, first), {
			practitionerId: 'p1',
			start: '2026-11-25T09:00',
			durationMinutes: 30,
			patientName: 'Ada'
		});
		await p.flushed();
		const doc = new Y.Doc();
		const origins: unknown[] = [];
		doc.on('update', (_u: Uint8Array, origin: unknown) => origins.push(origin));
		await new DocPersistence(db, NAME, doc).ready;
		expect(origins).toEqual([STORE_ORIGIN]);
		expect(isLocalOrigin(STORE_ORIGIN)).toBe(false);
		expect(isLocalOrigin(null)).toBe(true);
		expect(await db.pendingChanges.count()).toBe(1);
	});
});
