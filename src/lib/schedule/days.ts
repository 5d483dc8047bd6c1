import { getLocalTimeZone, today as todayIn } from '@internationalized/date';

/** Calendar days as `YYYY-MM-DD` strings, the way the schedule addresses them. */

/**
 * Today in the clinic's time zone (a tablet set to another zone still opens the clinic's day), `YYYY-MM-DD`;
 * in the device's until the clinic's is known.
 */
export function today(timeZone: string = getLocalTimeZone()): string {
	return todayIn(timeZone).toString();
}

export function shiftDay(day: string, days: number): string {
	const d = new Date(`${day}T12:00:00Z`);
	d.setUTCDate(d.getUTCDate() + days);
	return d.toISOString().slice(0, 10);
}
