import { getLocalTimeZone, parseDate, startOfWeek, today as todayIn } from '@internationalized/date';

/** Calendar days as `YYYY-MM-DD` strings, the way the schedule addresses them. */

/**
 * Today in the clinic's time zone (a tablet set to another zone still opens the clinic's day), `YYYY-MM-DD`;
 * in the device's until the clinic's is known.
 */
export function today(timeZone: string = getLocalTimeZone()): string {
	return todayIn(timeZone).toString();
}

export function shiftDay(day: string, days: number): string {
	return parseDate(day).add({ days }).toString();
}

/** The seven days of the week `day` is in, Monday first (as weeks run in Turkey and most of Europe). */
export function weekOf(day: string): string[] {
	const monday = startOfWeek(parseDate(day), 'en-GB', 'mon');
	return Array.from({ length: 7 }, (_, i) => monday.add({ days: i }).toString());
}

/** Whether `value` is a real calendar day written `YYYY-MM-DD`. */
export function isDay(value: string | null): value is string {
	if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
	try {
		return parseDate(value).toString() === value;
	} catch {
		return false;
	}
}
