import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { FrontdeskDatabase } from '../../src/lib/local/db.ts';
import { DocPersistence } from '../../src/lib/local/DocPersistence.ts';
import { ServerDeletions } from '../../src/lib/local/serverDeletions.ts';
import { addAppointment, changeAppointment, deleteAppointment, scheduleDoc } from '../../src/lib/domain/schedule.ts';

const MONTH = 'c1/schedule/2026-11';
const base = { practitionerId: 'p1', durationMinutes: 30, start: '2026-11-26T10:00' };
const stateVector = (doc: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(doc));
const deleteSetOf = (doc: Y.Doc) => Y.decodeUpdate(Y.encodeStateAsUpdate(doc)).ds;

let n = 0;
const databases: FrontdeskDatabase[] = [];
afterEach(async () => {
	for (const db of databases.splice(0)) await db.delete();
});

/** A device whose booking of Zeynep the server (a doc of its own) already confirmed. */
async function deviceWithConfirmedBooking() {
	const db = new FrontdeskDatabase(`confirm-${++n}`);
	databases.push(db);
	const doc = new Y.Doc();
	const persistence = new DocPersistence(db, MONTH, doc);
	await persistence.ready;
	const { id } = addAppointment(scheduleDoc(MONTH, doc), { ...base, patientName: 'Zeynep Arslan' });
	const server = new Y.Doc();
	Y.applyUpdate(server, Y.encodeStateAsUpdate(doc));
	await persistence.confirm(stateVector(server));
	expect(await db.pendingChanges.count()).toBe(0);
	return { db, doc, persistence, server, id };
}

describe('DEVICE-STORE-3: an edit that only deletes is confirmed by the server’s deletions, not by its clock', () => {
	it('an appointment deleted offline stays unsent while the server’s state vector (which cannot show it) comes and goes', async () => {
		const { db, doc, persistence, server, id } = await deviceWithConfirmedBooking();
		deleteAppointment(scheduleDoc(MONTH, doc), id);
		await persistence.flushed();
		expect(await db.pendingChanges.count()).toBe(1);

		// The server's step 1 on reconnect: its clocks already cover the device's (a deletion moves none).
		await persistence.confirm(stateVector(server));
		persistence.noteServerDeletions(deleteSetOf(server));
		await persistence.confirm(new Map());
		expect(await db.pendingChanges.count()).toBe(1);

		// The server stored the deletion and says so in a delete set (its answer to the device's query).
		Y.applyUpdate(server, Y.encodeStateAsUpdate(doc));
		persistence.noteServerDeletions(deleteSetOf(server));
		await persistence.confirm(new Map());
		expect(await db.pendingChanges.count()).toBe(0);
	});

	it('an edit that also inserts is still confirmed by the clocks alone', async () => {
		const { db, doc, persistence, id } = await deviceWithConfirmedBooking();
		changeAppointment(scheduleDoc(MONTH, doc), id, { start: '2026-11-26T11:00' });
		await persistence.flushed();
		expect(await db.pendingChanges.count()).toBe(1);
		await persistence.confirm(stateVector(doc));
		expect(await db.pendingChanges.count()).toBe(0);
	});

	it('what the server said before still counts when a later message carries no clocks', async () => {
		const { db, doc, persistence, server, id } = await deviceWithConfirmedBooking();
		changeAppointment(scheduleDoc(MONTH, doc), id, { note: 'ilk kez' });
		await persistence.flushed();
		Y.applyUpdate(server, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(server)));
		await persistence.confirm(stateVector(server));
		deleteAppointment(scheduleDoc(MONTH, doc), id);
		await persistence.flushed();
		Y.applyUpdate(server, Y.encodeStateAsUpdate(doc));
		persistence.noteServerDeletions(deleteSetOf(server));
		await persistence.confirm(new Map());
		expect(await db.pendingChanges.count()).toBe(0);
	});
});

describe('the server’s known deletions', () => {
	it('merges ranges from several messages and covers only what lies inside them', () => {
		const known = new ServerDeletions();
		known.add({ clients: new Map([[7, [{ clock: 0, len: 5 }]]]) });
		known.add({
			clients: new Map([
				[7, [{ clock: 5, len: 3 }]],
				[9, [{ clock: 10, len: 1 }]]
			])
		});
		expect(known.covers([[7, 2, 6]])).toBe(true);
		expect(known.covers([[7, 6, 3]])).toBe(false);
		expect(
			known.covers([
				[9, 10, 1],
				[7, 0, 1]
			])
		).toBe(true);
		expect(known.covers([[8, 0, 1]])).toBe(false);
		expect(known.covers([])).toBe(true);
	});
});
