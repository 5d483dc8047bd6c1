import { z } from 'zod';

/**
 * Opening hours of one week, used for the clinic's business hours and each practitioner's working hours.
 * A day is open or closed; an open day has one or more intervals `HH:mm`–`HH:mm` in order, and the gaps between
 * them are the breaks. Error messages are codes (`hours.*`) that screens turn into text in the user's language.
 */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A clock time `HH:mm`, 00:00–23:59. */
export const clockTime = z.string().regex(CLOCK, 'hours.format');

/** Minutes since midnight of `HH:mm`. */
export function minutesOf(time: string): number {
	return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

export const openInterval = z
	.object({ from: clockTime, to: clockTime })
	.refine((i) => minutesOf(i.from) < minutesOf(i.to), 'hours.order');
export type OpenInterval = z.output<typeof openInterval>;

export const dayHours = z
	.object({ open: z.boolean(), intervals: z.array(openInterval).max(8) })
	.refine((d) => !d.open || d.intervals.length > 0, 'hours.empty')
	.refine(
		(d) => d.intervals.every((interval, i) => i === 0 || minutesOf(d.intervals[i - 1].to) <= minutesOf(interval.from)),
		'hours.overlap'
	);
export type DayHours = z.output<typeof dayHours>;
export type WeeklyHours = Record<Weekday, DayHours>;

export const weekday = z.enum(WEEKDAYS);

const workday: DayHours = {
	open: true,
	intervals: [
		{ from: '09:00', to: '12:30' },
		{ from: '13:30', to: '18:00' }
	]
};
const closed: DayHours = { open: false, intervals: [] };

/** A new clinic's week: weekdays 09:00–18:00 with a lunch break, Saturday morning, Sunday closed. */
export const DEFAULT_BUSINESS_HOURS: WeeklyHours = {
	mon: workday,
	tue: workday,
	wed: workday,
	thu: workday,
	fri: workday,
	sat: { open: true, intervals: [{ from: '09:00', to: '13:00' }] },
	sun: closed
};

/** The weekday of a calendar day `YYYY-MM-DD` (the day itself, whatever the device's time zone). */
export function weekdayOf(day: string): Weekday {
	const index = new Date(`${day}T12:00:00Z`).getUTCDay();
	return WEEKDAYS[(index + 6) % 7];
}

/**
 * A week read from a map of weekday → stored value (DOC-READ-1): a missing or invalid day falls back to `fallback`'s.
 */
export function readWeek(stored: (day: Weekday) => unknown, fallback: WeeklyHours): WeeklyHours {
	const week = {} as WeeklyHours;
	for (const day of WEEKDAYS) {
		const parsed = dayHours.safeParse(stored(day));
		week[day] = parsed.success ? parsed.data : fallback[day];
	}
	return week;
}

/** Whether the span `from`–`to` (minutes since midnight) lies inside the day's open intervals. */
export function isWithinHours(hours: DayHours, from: number, to: number): boolean {
	return hours.open && hours.intervals.some((i) => minutesOf(i.from) <= from && to <= minutesOf(i.to));
}
