import { describe, expect, it } from 'vitest';
import type { BusyBlock } from '../../src/lib/domain/calendarBusy.ts';
import { busyEnd, busyLanes, busyOverlapping, mergeBusy } from '../../src/lib/schedule/busyTimes.ts';

const piece = (key: string, practitionerId: string, start: string, durationMinutes: number): BusyBlock => ({
	key: `${key}:${start.slice(0, 10)}`,
	eventKey: key,
	practitionerId,
	start,
	durationMinutes
});

describe('busy times as the book shows them', () => {
	it('SCHEDULE-GOOGLE-UI-1 a practitioner’s overlapping or touching pieces of a day are one block; others stay apart', () => {
		const shown = mergeBusy([
			piece('b', 'p1', '2027-03-03T10:30', 60),
			piece('a', 'p1', '2027-03-03T10:00', 45),
			piece('c', 'p1', '2027-03-03T11:30', 30),
			piece('d', 'p1', '2027-03-03T14:00', 30),
			piece('e', 'p2', '2027-03-03T10:15', 30),
			piece('f', 'p1', '2027-03-04T10:00', 30)
		]);
		expect(shown).toEqual([
			{ key: 'a:2027-03-03', practitionerId: 'p1', start: '2027-03-03T10:00', durationMinutes: 120 },
			{ key: 'e:2027-03-03', practitionerId: 'p2', start: '2027-03-03T10:15', durationMinutes: 30 },
			{ key: 'd:2027-03-03', practitionerId: 'p1', start: '2027-03-03T14:00', durationMinutes: 30 },
			{ key: 'f:2027-03-04', practitionerId: 'p1', start: '2027-03-04T10:00', durationMinutes: 30 }
		]);
		// A piece inside another does not shorten it.
		expect(mergeBusy([piece('a', 'p1', '2027-03-03T09:00', 180), piece('b', 'p1', '2027-03-03T10:00', 30)])).toEqual([
			{ key: 'a:2027-03-03', practitionerId: 'p1', start: '2027-03-03T09:00', durationMinutes: 180 }
		]);
	});

	it('SCHEDULE-GOOGLE-UI-1 a block to midnight ends at the last second of its day, for the calendar', () => {
		expect(busyEnd({ start: '2027-03-03T00:00', durationMinutes: 1440 })).toBe('2027-03-03T23:59:59');
		expect(busyEnd({ start: '2027-03-03T22:00', durationMinutes: 120 })).toBe('2027-03-03T23:59:59');
		expect(busyEnd({ start: '2027-03-03T09:05', durationMinutes: 70 })).toBe('2027-03-03T10:15:00');
	});

	it('SCHEDULE-GOOGLE-UI-3 a booking overlapping its practitioner’s busy time is found, the service’s buffer counted; touching is not overlapping', () => {
		const busy = [piece('a', 'p1', '2027-03-03T10:00', 60), piece('b', 'p2', '2027-03-03T09:00', 60)];
		expect(busyOverlapping(busy, 'p1', '2027-03-03T10:30', 30).map((b) => b.eventKey)).toEqual(['a']);
		expect(busyOverlapping(busy, 'p1', '2027-03-03T09:00', 60)).toEqual([]);
		expect(busyOverlapping(busy, 'p1', '2027-03-03T11:00', 30)).toEqual([]);
		expect(busyOverlapping(busy, 'p1', '2027-03-03T09:00', 60, 10).map((b) => b.eventKey)).toEqual(['a']);
		// Another practitioner's, or another day's, busy time is not this booking's concern.
		expect(busyOverlapping(busy, 'p2', '2027-03-03T10:00', 30)).toEqual([]);
		expect(busyOverlapping(busy, 'p1', '2027-03-04T10:30', 30)).toEqual([]);
	});

	it('SCHEDULE-GOOGLE-UI-1 in a week of several practitioners each with busy times gets a lane, in the columns’ order', () => {
		const busy = [{ practitionerId: 'p3' }, { practitionerId: 'p1' }, { practitionerId: 'p3' }, { practitionerId: 'gone' }];
		expect(busyLanes(busy, ['p1', 'p2', 'p3'])).toEqual({ p1: 0, p3: 1, gone: 2 });
		expect(busyLanes([], ['p1'])).toEqual({});
	});
});
