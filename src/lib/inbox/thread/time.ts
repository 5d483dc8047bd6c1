import { CalendarDate, fromDate, parseDate, toZoned, Time, toCalendarDateTime } from '@internationalized/date';

/** The calendar day (`YYYY-MM-DD`) of an instant in the clinic's time zone (THREAD-DAY-1). */
export function dayIn(iso: string, timeZone: string): string {
	const z = fromDate(new Date(iso), timeZone);
	return new CalendarDate(z.year, z.month, z.day).toString();
}

/** Entries grouped under the day they happened on in the clinic's zone, in their order. */
export function byDay<E extends { at: string }>(entries: readonly E[], timeZone: string): { day: string; entries: E[] }[] {
	const sections: { day: string; entries: E[] }[] = [];
	for (const e of entries) {
		const day = dayIn(e.at, timeZone);
		const last = sections.at(-1);
		if (last && last.day === day) last.entries.push(e);
		else sections.push({ day, entries: [e] });
	}
	return sections;
}

/** The instant of a wall time (`HH:MM`) on a day in the clinic's zone, as ISO. */
export function zonedInstant(day: string, time: string, timeZone: string): string {
	const [h, m] = time.split(':').map(Number);
	const local = toCalendarDateTime(parseDate(day), new Time(h, m));
	return toZoned(local, timeZone).toDate().toISOString();
}

export type SnoozePreset = 'laterToday' | 'tomorrow' | 'nextWeek';

/**
 * When each snooze preset wakes the thread (THREAD-SNOOZE-1), in the clinic's zone: three hours from now, tomorrow
 * at 09:00, next Monday at 09:00.
 */
export function snoozeUntil(preset: SnoozePreset, now: Date, timeZone: string): string {
	if (preset === 'laterToday') return new Date(now.getTime() + 3 * 60 * 60 * 1000).toISOString();
	const today = parseDate(dayIn(now.toISOString(), timeZone));
	if (preset === 'tomorrow') return zonedInstant(today.add({ days: 1 }).toString(), '09:00', timeZone);
	const weekday = new Date(`${today.toString()}T12:00:00Z`).getUTCDay();
	const toMonday = (8 - weekday) % 7 || 7;
	return zonedInstant(today.add({ days: toMonday }).toString(), '09:00', timeZone);
}

/** A chosen day and time is a snooze only if it lies ahead. */
export function chosenSnooze(day: string, time: string, timeZone: string, now: Date): string | null {
	if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !/^\d{2}:\d{2}$/.test(time)) return null;
	try {
		const iso = zonedInstant(day, time, timeZone);
		return Date.parse(iso) > now.getTime() ? iso : null;
	} catch {
		return null;
	}
}

/** The current instant (one place, so screens read the clock the same way). */
export function currentTime(): Date {
	return new Date();
}
