import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
	addAppointment,
	appointmentInterval,
	changeAppointment,
	endOf,
	findClashes,
	listAppointments,
	listClashes,
	scheduleDoc,
	type ScheduleDoc
} from '../../src/lib/domain/schedule.ts';
import { addSeries, changeFollowing, listSeries, seriesMonths, seriesStarts } from '../../src/lib/domain/scheduleSeries.ts';

/** A device's month docs, opened as asked for. */
function months() {
	const docs = new Map<string, ScheduleDoc>();
	const month = (m: string) => {
		if (!docs.has(m)) docs.set(m, scheduleDoc(`c1/schedule/${m}`, new Y.Doc()));
		return docs.get(m)!;
	};
	return { docs, month };
}

const first = { practitionerId: 'p1', patientId: 'c1', start: '2026-11-17T10:00', durationMinutes: 45 };

describe('recurring appointments', () => {
	it('SCHEDULE-SERIES-1 every 2 weeks, 4 times, books 4 real occurrences across months', () => {
		expect(seriesStarts('2026-11-17T10:00', { everyWeeks: 2, count: 4 })).toEqual([
			'2026-11-17T10:00',
			'2026-12-01T10:00',
			'2026-12-15T10:00',
			'2026-12-29T10:00'
		]);
		const { docs, month } = months();
		const booked = addSeries(month, first, { everyWeeks: 2, count: 4 });
		expect(booked.map((a) => a.series?.index)).toEqual([0, 1, 2, 3]);
		expect(new Set(booked.map((a) => a.series?.id)).size).toBe(1);
		expect(booked.every((a) => a.series?.until === '2026-12')).toBe(true);
		expect(listAppointments(docs.get('2026-11')!)).toHaveLength(1);
		expect(listAppointments(docs.get('2026-12')!)).toHaveLength(3);
	});

	it('refuses a bad repeat and an occurrence that would end after midnight, and books none', () => {
		const { docs, month } = months();
		expect(() => addSeries(month, first, { everyWeeks: 0, count: 3 })).toThrow();
		expect(() => addSeries(month, first, { everyWeeks: 1, count: 53 })).toThrow();
		expect(() => addSeries(month, { ...first, start: '2026-11-17T23:30' }, { everyWeeks: 1, count: 2 })).toThrow(/midnight/);
		expect([...docs.values()].flatMap((d) => listAppointments(d))).toEqual([]);
	});

	it('SCHEDULE-SERIES-2 one occurrence changes on its own', () => {
		const { docs, month } = months();
		const [, second] = addSeries(month, first, { everyWeeks: 1, count: 3 });
		changeAppointment(month('2026-11'), second.id, { start: '2026-11-24T15:00' });
		const all = listSeries(docs.values(), second.series!.id);
		expect(all.map((a) => a.start)).toEqual(['2026-11-17T10:00', '2026-11-24T15:00', '2026-12-01T10:00']);
	});

	it('SCHEDULE-SERIES-3 "this and following" moves every later one by as much, into the next month too', () => {
		const { docs, month } = months();
		const booked = addSeries(month, first, { everyWeeks: 1, count: 3 });
		const changed = changeFollowing(month, booked[1], { start: '2026-11-26T11:00', roomId: 'r1' });
		expect(changed).toHaveLength(2);
		const all = listSeries(docs.values(), booked[0].series!.id);
		expect(all.map((a) => [a.start, a.roomId])).toEqual([
			['2026-11-17T10:00', undefined],
			['2026-11-26T11:00', 'r1'],
			['2026-12-03T11:00', 'r1']
		]);
		expect(seriesMonths(booked[1])).toEqual(['2026-10', '2026-11', '2026-12', '2027-01']);
	});

	it('"this and following" that would move past midnight or by more than a month changes nothing', () => {
		const { docs, month } = months();
		const booked = addSeries(month, first, { everyWeeks: 1, count: 3 });
		const state = () =>
			[...docs].filter(([, d]) => d.doc.store.clients.size > 0).map(([m, d]) => [m, Y.encodeStateVector(d.doc)]);
		const before = state();
		expect(() => changeFollowing(month, booked[0], { start: '2026-11-17T23:50' })).toThrow(/midnight/);
		expect(() => changeFollowing(month, booked[0], { start: '2027-01-17T10:00' })).toThrow(/31 days/);
		expect(state()).toEqual(before);
	});
});

describe('clashes', () => {
	const schedule = () => scheduleDoc('c1/schedule/2026-11', new Y.Doc());
	it('SCHEDULE-CLASH-1 two appointments in one room at once clash, also with different practitioners', () => {
		const s = schedule();
		const x = addAppointment(s, { ...first, roomId: 'r1' });
		const y = addAppointment(s, { ...first, practitionerId: 'p2', roomId: 'r1', start: '2026-11-17T10:30' });
		addAppointment(s, { ...first, practitionerId: 'p3', roomId: 'r2' });
		expect(listClashes(listAppointments(s))).toEqual([{ first: x.id, second: y.id, on: 'room' }]);
	});

	it("SCHEDULE-CLASH-2 a service's buffer keeps the time after it taken; a no-show frees it", () => {
		const s = schedule();
		const x = addAppointment(s, { ...first, serviceId: 's1' });
		const y = addAppointment(s, { ...first, start: '2026-11-17T10:50' });
		expect(findClashes(listAppointments(s))).toEqual(new Set());
		expect(findClashes(listAppointments(s), new Map([['s1', 10]]))).toEqual(new Set([x.id, y.id]));
		changeAppointment(s, x.id, { status: 'no_show' });
		expect(findClashes(listAppointments(s), new Map([['s1', 10]]))).toEqual(new Set());
	});
});

describe('clinic time', () => {
	it('SCHEDULE-TIME-1 23:30 in Istanbul is the same instant whatever zone the device is in', () => {
		const a = { start: '2026-11-27T23:30', durationMinutes: 30 };
		expect(appointmentInterval(a, 'Europe/Istanbul').start.toISOString()).toBe('2026-11-27T20:30:00.000Z');
		expect(appointmentInterval(a, 'Europe/Istanbul').end.toISOString()).toBe('2026-11-27T21:00:00.000Z');
		expect(endOf(a, 'Europe/Istanbul')).toBe('2026-11-28T00:00');
	});

	it('SCHEDULE-TIME-2 on the night a zone springs forward, 60 real minutes from 01:30 end at 03:30', () => {
		const a = { start: '2027-03-28T01:30', durationMinutes: 60 };
		expect(endOf(a, 'Europe/Berlin')).toBe('2027-03-28T03:30');
		const { start, end } = appointmentInterval(a, 'Europe/Berlin');
		expect(end.getTime() - start.getTime()).toBe(60 * 60_000);
		// In a zone without the change, the same booking ends at 02:30.
		expect(endOf(a, 'Europe/Istanbul')).toBe('2027-03-28T02:30');
	});
});
