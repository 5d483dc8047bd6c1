import { byCodeUnit } from '$lib/domain/order.ts';
import type { BusyBlock } from '$lib/domain/calendarBusy.ts';
import { minuteOfDay } from '$lib/domain/schedule.ts';

/**
 * A practitioner's busy time in Google Calendar as the book shows it (SCHEDULE-GOOGLE-UI-1): the pieces of one day
 * that overlap or touch merged into one block, so two Google events at once read as one busy time, not two
 * labels drawn over each other. Wall-clock minutes, as the pieces are kept (`calendarBusy.ts`).
 */
export interface ShownBusy {
	/** The key of its first piece. */
	key: string;
	practitionerId: string;
	/** `YYYY-MM-DDTHH:mm`. */
	start: string;
	durationMinutes: number;
}

const DAY_MINUTES = 24 * 60;
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Merges each practitioner's overlapping or touching pieces of a day; by start, then practitioner. */
export function mergeBusy(blocks: readonly BusyBlock[]): ShownBusy[] {
	const sorted = [...blocks].sort(
		(a, b) => byCodeUnit(a.practitionerId, b.practitionerId) || byCodeUnit(a.start, b.start) || byCodeUnit(a.key, b.key)
	);
	const shown: ShownBusy[] = [];
	let last: ShownBusy | null = null;
	for (const b of sorted) {
		const from = minuteOfDay(b.start);
		const to = Math.min(from + b.durationMinutes, DAY_MINUTES);
		const sameDay = last && last.practitionerId === b.practitionerId && last.start.slice(0, 10) === b.start.slice(0, 10);
		if (last && sameDay && from <= minuteOfDay(last.start) + last.durationMinutes) {
			last.durationMinutes = Math.max(last.durationMinutes, to - minuteOfDay(last.start));
			continue;
		}
		last = { key: b.key, practitionerId: b.practitionerId, start: b.start, durationMinutes: to - from };
		shown.push(last);
	}
	return shown.sort((a, b) => byCodeUnit(a.start, b.start) || byCodeUnit(a.practitionerId, b.practitionerId));
}

/** Where a busy time ends, as the calendar takes it (`YYYY-MM-DDTHH:mm:ss`); a piece to midnight ends at 23:59:59. */
export function busyEnd(b: Pick<ShownBusy, 'start' | 'durationMinutes'>): string {
	const end = minuteOfDay(b.start) + b.durationMinutes;
	return end >= DAY_MINUTES ? `${b.start.slice(0, 10)}T23:59:59` : `${b.start.slice(0, 10)}T${hhmm(end)}:00`;
}

/**
 * The practitioner's busy pieces an appointment from `start` for `durationMinutes` (and its service's buffer
 * after, which keeps the practitioner taken: SCHEDULE-CLASH-2) would overlap.
 */
export function busyOverlapping(
	blocks: readonly BusyBlock[],
	practitionerId: string,
	start: string,
	durationMinutes: number,
	bufferMinutes = 0
): BusyBlock[] {
	const from = minuteOfDay(start);
	const to = from + durationMinutes + bufferMinutes;
	return blocks.filter((b) => {
		if (b.practitionerId !== practitionerId || b.start.slice(0, 10) !== start.slice(0, 10)) return false;
		const busyFrom = minuteOfDay(b.start);
		return busyFrom < to && from < busyFrom + b.durationMinutes;
	});
}

/**
 * In a week showing several practitioners, each practitioner's busy times get a lane of the day's width, in the
 * columns' order (`order`), so one practitioner's never hides another's. Lanes only for those with busy times.
 */
export function busyLanes(
	blocks: readonly Pick<ShownBusy, 'practitionerId'>[],
	order: readonly string[]
): Record<string, number> {
	const present = new Set(blocks.map((b) => b.practitionerId));
	const ranked = [...order.filter((id) => present.has(id)), ...[...present].filter((id) => !order.includes(id)).sort()];
	return Object.fromEntries(ranked.map((id, lane) => [id, lane]));
}
