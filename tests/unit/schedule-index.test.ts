import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	addAppointment,
	cancelAppointment,
	deleteAppointment,
	listAppointments,
	scheduleDoc,
	type ScheduleDoc
} from '../../src/lib/domain/schedule.ts';
import { moveAppointment } from '../../src/lib/domain/scheduleMoves.ts';
import { FrontdeskDatabase } from '../../src/lib/local/db.ts';
import { MonthIndex, readAppointmentRows } from '../../src/lib/local/scheduleIndex.ts';
import { monthMark } from '../../src/lib/local/scheduleTables.ts';

const PRACTITIONER = '11111111-1111-4111-8111-111111111111';
const PATIENT = '22222222-2222-4222-8222-222222222222';
const WEEK = ['2026-11-09', '2026-11-10', '2026-11-11', '2026-11-12', '2026-11-13', '2026-11-14', '2026-11-15'];
const now = (work: () => void) => work();

let n = 0;
const databases: FrontdeskDatabase[] = [];
const indexes: MonthIndex[] = [];

function database(): FrontdeskDatabase {
	const db = new FrontdeskDatabase(`schedule-index-${++n}`);
	databases.push(db);
	return db;
}

function month(name: string): ScheduleDoc {
	return scheduleDoc(`c1/schedule/${name}`, new Y.Doc());
}

function index(db: FrontdeskDatabase, name: string, schedule: ScheduleDoc): MonthIndex {
	const created = new MonthIndex(db, name, schedule.doc, Promise.resolve(), now);
	indexes.push(created);
	return created;
}

/** The index checks the month once its doc has loaded (a microtask here): then its queue says when it is done. */
async function settled(i: MonthIndex): Promise<void> {
	await Promise.resolve();
	await i.settled();
}

const book = (schedule: ScheduleDoc, start: string) =>
	addAppointment(schedule, { practitionerId: PRACTITIONER, patientId: PATIENT, start, durationMinutes: 30 });

afterEach(async () => {
	for (const i of indexes.splice(0)) i.stop();
	for (const db of databases.splice(0)) await db.delete();
});

describe('SCHEDULE-TABLE-1: the days on screen come from the device’s appointments table', () => {
	it('holds the month’s appointments as the doc has them, and reads a week as listAppointments would', async () => {
		const db = database();
		const november = month('2026-11');
		book(november, '2026-11-11T09:00');
		book(november, '2026-11-11T08:30');
		book(november, '2026-11-20T10:00');
		const i = index(db, '2026-11', november);
		await settled(i);
		expect(await readAppointmentRows(db, WEEK)).toEqual(listAppointments(november, WEEK));
		expect(await readAppointmentRows(db, ['2026-11-20'])).toEqual(listAppointments(november, '2026-11-20'));
	});

	it('follows changes row by row: a move, a cancellation and a deletion show as the doc has them', async () => {
		const db = database();
		const november = month('2026-11');
		const kept = book(november, '2026-11-11T09:00');
		const moved = book(november, '2026-11-11T10:00');
		const gone = book(november, '2026-11-12T10:00');
		const i = index(db, '2026-11', november);
		await settled(i);
		moveAppointment(november, november, moved.id, { start: '2026-11-13T11:00' });
		cancelAppointment(november, kept.id);
		deleteAppointment(november, gone.id);
		await i.settled();
		expect(await readAppointmentRows(db, WEEK)).toEqual(listAppointments(november, WEEK));
		expect((await readAppointmentRows(db, WEEK))?.find((a) => a.id === kept.id)?.status).toBe('cancelled');
	});

	it('an appointment moved to another month leaves this month’s rows and shows once, from the month it is in', async () => {
		const db = database();
		const november = month('2026-11');
		const december = month('2026-12');
		const a = book(november, '2026-11-30T09:00');
		const inNovember = index(db, '2026-11', november);
		const inDecember = index(db, '2026-12', december);
		await Promise.all([settled(inNovember), settled(inDecember)]);
		moveAppointment(november, december, a.id, { start: '2026-12-01T09:00' });
		await Promise.all([inNovember.settled(), inDecember.settled()]);
		const days = ['2026-11-30', '2026-12-01'];
		expect(await readAppointmentRows(db, days)).toEqual([{ ...listAppointments(december, '2026-12-01')[0] }]);
		expect(await db.appointmentRows.where('month').equals('2026-11').count()).toBe(0);
	});

	it('says it cannot answer (null) for a month never indexed on this device, rather than an empty week', async () => {
		const db = database();
		expect(await readAppointmentRows(db, WEEK)).toBeNull();
		const i = index(db, '2026-11', month('2026-11'));
		await settled(i);
		expect(await readAppointmentRows(db, WEEK)).toEqual([]);
		// A week across the month's end needs both months.
		expect(await readAppointmentRows(db, ['2026-11-30', '2026-12-01'])).toBeNull();
	});

	it('rows left behind by an earlier session are corrected when the month is next open; a matching mark skips the check', async () => {
		const db = database();
		const november = month('2026-11');
		const a = book(november, '2026-11-11T09:00');
		const first = index(db, '2026-11', november);
		await settled(first);
		first.stop();
		// Changed while no index followed the doc (the tab closed before the row was written).
		const b = book(november, '2026-11-11T10:00');
		deleteAppointment(november, a.id);
		const second = index(db, '2026-11', november);
		await settled(second);
		expect((await readAppointmentRows(db, WEEK))?.map((x) => x.id)).toEqual([b.id]);
		const mark = await db.indexMarks.get(monthMark('2026-11'));
		// Nothing changed since: the next open finds the mark current and writes nothing.
		second.stop();
		const writes: string[] = [];
		db.appointmentRows.hook('creating', (key) => void writes.push(String(key)));
		const third = index(db, '2026-11', november);
		await settled(third);
		expect(writes).toEqual([]);
		expect(await db.indexMarks.get(monthMark('2026-11'))).toEqual(mark);
	});

	it('a change before the first check does not mark stale rows as current', async () => {
		const db = database();
		const november = month('2026-11');
		const a = book(november, '2026-11-11T09:00');
		const first = index(db, '2026-11', november);
		await settled(first);
		first.stop();
		deleteAppointment(november, a.id);
		// The check waits (the screen is still drawing); a change arrives meanwhile.
		let check: () => void = () => {};
		const second = new MonthIndex(db, '2026-11', november.doc, Promise.resolve(), (work) => (check = work));
		indexes.push(second);
		await Promise.resolve();
		const b = book(november, '2026-11-12T09:00');
		await second.settled();
		const mark = await db.indexMarks.get(monthMark('2026-11'));
		expect(mark?.state).not.toBe(btoa(String.fromCharCode(...Y.encodeStateVector(november.doc))));
		check();
		await second.settled();
		expect((await readAppointmentRows(db, WEEK))?.map((x) => x.id)).toEqual([b.id]);
	});
});
