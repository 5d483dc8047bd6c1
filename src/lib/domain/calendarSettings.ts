import type * as Y from 'yjs';
import { z } from 'zod';

/**
 * What the clinic lets go to its practitioners' Google Calendars (SCHEDULE-GOOGLE-2), in the directory doc's
 * `calendar` map. Google is outside the clinic's control: the default sends the service and the patient's
 * initials, never the name; `name` sends the full name, `busy` only the time.
 */
export const CALENDAR_SHARES = ['initials', 'name', 'busy'] as const;
export type CalendarShare = (typeof CALENDAR_SHARES)[number];
export const calendarShare = z.enum(CALENDAR_SHARES);
export const DEFAULT_CALENDAR_SHARE: CalendarShare = 'initials';

const calendarMap = (doc: Y.Doc) => doc.getMap<unknown>('calendar');

export function readCalendarShare(doc: Y.Doc): CalendarShare {
	return calendarShare.catch(DEFAULT_CALENDAR_SHARE).parse(calendarMap(doc).get('share'));
}

export function setCalendarShare(doc: Y.Doc, share: CalendarShare): void {
	const value = calendarShare.parse(share);
	if (calendarMap(doc).get('share') !== value) doc.transact(() => calendarMap(doc).set('share', value));
}

/** A name's initials as Google is sent them by default: `İpek Şahin` → `İ. Ş.`. */
export function initialsOf(name: string): string {
	return name
		.trim()
		.split(/\s+/)
		.filter(Boolean)
		.slice(0, 3)
		.map((part) => `${[...part][0]!.toLocaleUpperCase('tr')}.`)
		.join(' ');
}
