import { describe, expect, it } from 'vitest';
import { byDay, chosenSnooze, dayIn, snoozeUntil } from '../../src/lib/inbox/thread/time.ts';

describe("days and snoozes in the clinic's time zone", () => {
	it("THREAD-DAY-1: entries are grouped by the clinic's calendar day, not UTC's", () => {
		// 22:30 UTC is already the next day in Istanbul (UTC+3).
		expect(dayIn('2026-03-10T22:30:00Z', 'Europe/Istanbul')).toBe('2026-03-11');
		const sections = byDay(
			[{ at: '2026-03-10T20:00:00Z' }, { at: '2026-03-10T22:30:00Z' }, { at: '2026-03-11T08:00:00Z' }],
			'Europe/Istanbul'
		);
		expect(sections.map((s) => [s.day, s.entries.length])).toEqual([
			['2026-03-10', 1],
			['2026-03-11', 2]
		]);
	});

	it('THREAD-SNOOZE-1: presets wake at 09:00 clinic time tomorrow or next Monday; a chosen time must lie ahead', () => {
		const now = new Date('2026-03-11T10:00:00Z'); // a Wednesday, 13:00 in Istanbul
		expect(snoozeUntil('laterToday', now, 'Europe/Istanbul')).toBe('2026-03-11T13:00:00.000Z');
		expect(snoozeUntil('tomorrow', now, 'Europe/Istanbul')).toBe('2026-03-12T06:00:00.000Z');
		expect(snoozeUntil('nextWeek', now, 'Europe/Istanbul')).toBe('2026-03-16T06:00:00.000Z');
		expect(chosenSnooze('2026-03-11', '12:00', 'Europe/Istanbul', now)).toBeNull();
		expect(chosenSnooze('2026-03-11', '15:30', 'Europe/Istanbul', now)).toBe('2026-03-11T12:30:00.000Z');
		expect(chosenSnooze('11.03.2026', '15:30', 'Europe/Istanbul', now)).toBeNull();
	});
});
