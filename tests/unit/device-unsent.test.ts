import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { FrontdeskDatabase } from '../../src/lib/local/db.ts';
import { DocPersistence } from '../../src/lib/local/DocPersistence.ts';
import { describeUnsent } from '../../src/lib/local/describeUnsent.ts';
import { readUnsent, unsentCount } from '../../src/lib/local/readUnsent.ts';
import {
	addAppointment,
	cancelAppointment,
	changeAppointment,
	deleteAppointment,
	scheduleDoc
} from '../../src/lib/domain/schedule.ts';

const MONTH = 'c1/schedule/2026-11';
const base = { practitionerId: 'p1', durationMinutes: 30 };

/** A device's doc already in step with the server, and a recorder of the edits made on it from now on. */
function deviceInStepWith(server: Y.Doc): { doc: Y.Doc; edits: Uint8Array[] } {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, Y.encodeStateAsUpdate(server), 'server');
	const edits: Uint8Array[] = [];
	doc.on('update', (update: Uint8Array, origin: unknown) => {
		if (origin === null || origin === undefined) edits.push(update);
	});
	return { doc, edits };
}

function serverWith(...patients: [string, string][]): { server: Y.Doc; ids: string[] } {
	const server = new Y.Doc();
	const ids = patients.map(
		([patientName, start]) => addAppointment(scheduleDoc(MONTH, server), { ...base, patientName, start }).id
	);
	return { server, ids };
}

describe('what a device has not sent, in the clinic’s words', () => {
	it('names an appointment booked offline by patient and time', () => {
		const { server } = serverWith(['Ali Veli', '2026-11-26T09:00']);
		const { doc, edits } = deviceInStepWith(server);
		addAppointment(scheduleDoc(MONTH, doc), { ...base, patientName: 'Zeynep Arslan', start: '2026-11-26T10:00' });

		const unsent = describeUnsent(MONTH, doc, edits, edits.length);
		expect(unsent).toMatchObject({ docName: MONTH, kind: 'schedule', changes: 1 });
		expect(unsent.appointments).toEqual([
			expect.objectContaining({ action: 'added', patientName: 'Zeynep Arslan', start: '2026-11-26T10:00' })
		]);
	});

	it('names a moved or cancelled appointment as changed, with what it is now', () => {
		const { server, ids } = serverWith(['Ali Veli', '2026-11-26T09:00'], ['Can Öztürk', '2026-11-26T11:00']);
		const { doc, edits } = deviceInStepWith(server);
		changeAppointment(scheduleDoc(MONTH, doc), ids[0], { start: '2026-11-27T15:30' });
		cancelAppointment(scheduleDoc(MONTH, doc), ids[1]);

		expect(describeUnsent(MONTH, doc, edits, edits.length).appointments).toEqual([
			{ id: ids[1], action: 'changed', patientName: 'Can Öztürk', start: '2026-11-26T11:00' },
			{ id: ids[0], action: 'changed', patientName: 'Ali Veli', start: '2026-11-27T15:30' }
		]);
	});

	it('counts an appointment deleted offline, by its id (its details are gone from the device)', () => {
		const { server, ids } = serverWith(['Ali Veli', '2026-11-26T09:00']);
		const { doc, edits } = deviceInStepWith(server);
		changeAppointment(scheduleDoc(MONTH, doc), ids[0], { note: 'geç kalacak' });
		deleteAppointment(scheduleDoc(MONTH, doc), ids[0]);

		expect(describeUnsent(MONTH, doc, edits, edits.length).appointments).toEqual([{ id: ids[0], action: 'deleted' }]);
	});

	it('lists nothing for an appointment booked and deleted before the server saw it, yet still counts the edits', () => {
		const { server } = serverWith();
		const { doc, edits } = deviceInStepWith(server);
		const { id } = addAppointment(scheduleDoc(MONTH, doc), { ...base, patientName: 'Selin Aydın', start: '2026-11-26T12:00' });
		deleteAppointment(scheduleDoc(MONTH, doc), id);

		expect(describeUnsent(MONTH, doc, edits, edits.length)).toMatchObject({ changes: 2, appointments: [] });
	});

	it('leaves out what other devices wrote', () => {
		const { server, ids } = serverWith(['Ali Veli', '2026-11-26T09:00']);
		const { doc, edits } = deviceInStepWith(server);
		addAppointment(scheduleDoc(MONTH, doc), { ...base, patientName: 'Zeynep Arslan', start: '2026-11-26T10:00' });
		changeAppointment(scheduleDoc(MONTH, server), ids[0], { start: '2026-11-26T16:00' });
		Y.applyUpdate(doc, Y.encodeStateAsUpdate(server, Y.encodeStateVector(doc)), 'server');

		expect(describeUnsent(MONTH, doc, edits, edits.length).appointments.map((a) => a.patientName)).toEqual(['Zeynep Arslan']);
	});

	it('counts the changes of other kinds of doc', () => {
		const doc = new Y.Doc();
		expect(describeUnsent('c1/inbox', doc, [], 3)).toEqual({ docName: 'c1/inbox', kind: 'inbox', changes: 3, appointments: [] });
	});
});

describe('reading what is unsent from the device’s database', () => {
	let n = 0;
	const databases: FrontdeskDatabase[] = [];
	afterEach(async () => {
		for (const db of databases.splice(0)) await db.delete();
	});
	function database(): FrontdeskDatabase {
		const db = new FrontdeskDatabase(`unsent-${++n}`);
		databases.push(db);
		return db;
	}

	it('describes every doc with unconfirmed edits, open or closed, and nothing once the server confirmed them', async () => {
		const db = database();
		const month = new Y.Doc();
		const monthStore = new DocPersistence(db, MONTH, month);
		await monthStore.ready;
		addAppointment(scheduleDoc(MONTH, month), { ...base, patientName: 'Zeynep Arslan', start: '2026-11-26T10:00' });
		const inbox = new Y.Doc();
		const inboxStore = new DocPersistence(db, 'c1/inbox', inbox);
		await inboxStore.ready;
		inbox.getMap('threads').set('t1', 'read');
		inbox.getMap('threads').set('t2', 'read');
		await Promise.all([monthStore.flushed(), inboxStore.flushed()]);
		// The month is closed (the person browsed on): its edits are described from disk.
		monthStore.destroy();

		const unsent = await readUnsent(db);
		expect(unsent.map((d) => [d.docName, d.changes])).toEqual([
			['c1/inbox', 2],
			[MONTH, 1]
		]);
		expect(unsent[1].appointments).toEqual([expect.objectContaining({ patientName: 'Zeynep Arslan', action: 'added' })]);
		expect(unsentCount(unsent)).toBe(3);

		await inboxStore.confirm(Y.decodeStateVector(Y.encodeStateVector(inbox)));
		await new DocPersistence(db, MONTH, new Y.Doc()).confirm(Y.decodeStateVector(Y.encodeStateVector(month)));
		expect(await readUnsent(db)).toEqual([]);
	});
});
