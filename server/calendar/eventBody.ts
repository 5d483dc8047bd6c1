import { createHash } from 'node:crypto';
import { parseAbsolute, parseDate, parseDateTime, toCalendarDateTime, toZoned } from '@internationalized/date';
import type { calendar_v3 } from '@googleapis/calendar';
import { initialsOf, type CalendarShare } from '../../src/lib/domain/calendarSettings.ts';
import { endOf, type Appointment } from '../../src/lib/domain/schedule.ts';

/** The private extended property that names our appointment on a Google event (SCHEDULE-GOOGLE-3). */
export const APPOINTMENT_PROPERTY = 'frontdeskAppointment';

/** What the event of one appointment says, besides its times. */
export interface EventContext {
	share: CalendarShare;
	timeZone: string;
	/** The patient's display name ('' if unknown). */
	patientName: string;
	serviceName: string;
	language: 'tr' | 'en';
}

const APPOINTMENT_WORD = { tr: 'Randevu', en: 'Appointment' } as const;
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/**
 * The Google event id of an appointment: its id in base32hex (the characters Google allows in client-chosen ids),
 * after `fd`. Chosen by us, so an insert retried after a crash finds the event it made (409), never a second one.
 */
export function eventIdOf(appointmentId: string): string {
	let bits = 0;
	let value = 0;
	let out = 'fd';
	for (const byte of Buffer.from(appointmentId, 'utf8')) {
		value = (value << 8) | byte;
		bits += 8;
		while (bits >= 5) {
			out += BASE32HEX[(value >>> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0) out += BASE32HEX[(value << (5 - bits)) & 31];
	return out;
}

/** A clinic wall time (`YYYY-MM-DDTHH:mm`) as Google's `{ dateTime, timeZone }` (an instant with its offset). */
function googleTime(wall: string, timeZone: string): calendar_v3.Schema$EventDateTime {
	const zoned = toZoned(parseDateTime(wall), timeZone);
	return { dateTime: zoned.toAbsoluteString(), timeZone };
}

/** The event for an appointment, as inserted or patched: what the clinic's setting lets go out, and its times. */
export function eventOf(a: Appointment, ctx: EventContext): calendar_v3.Schema$Event {
	const word = APPOINTMENT_WORD[ctx.language];
	const who = ctx.share === 'name' ? ctx.patientName : ctx.share === 'initials' ? initialsOf(ctx.patientName) : '';
	const what = ctx.share === 'busy' ? word : ctx.serviceName || word;
	return {
		summary: who ? `${what} · ${who}` : what,
		start: googleTime(a.start, ctx.timeZone),
		end: googleTime(endOf(a, ctx.timeZone), ctx.timeZone),
		status: 'confirmed',
		transparency: 'opaque',
		extendedProperties: { private: { [APPOINTMENT_PROPERTY]: a.id } }
	};
}

/** What we compare to know whether Google has what the book says: the fields we send, nothing else. */
export function fingerprintOf(event: calendar_v3.Schema$Event): string {
	const fields = [event.summary, event.start?.dateTime, event.end?.dateTime, event.status];
	return createHash('sha256').update(JSON.stringify(fields)).digest('base64url').slice(0, 22);
}

/**
 * An event's times as clinic wall times (`YYYY-MM-DDTHH:mm`, end exclusive). A timed event is converted from its
 * instant; an all-day one covers its dates from 00:00 to 00:00 (Google's end date is exclusive). Null if Google
 * sent neither form.
 */
export function wallTimesOf(
	event: calendar_v3.Schema$Event,
	timeZone: string
): { start: string; end: string; allDay: boolean } | null {
	const wall = (t: calendar_v3.Schema$EventDateTime | undefined): { at: string; allDay: boolean } | null => {
		if (t?.dateTime)
			return { at: toCalendarDateTime(parseAbsolute(t.dateTime, timeZone)).toString().slice(0, 16), allDay: false };
		if (t?.date) return { at: `${parseDate(t.date).toString()}T00:00`, allDay: true };
		return null;
	};
	try {
		const start = wall(event.start);
		const end = wall(event.end);
		if (!start || !end) return null;
		return { start: start.at, end: end.at, allDay: start.allDay };
	} catch {
		return null;
	}
}

/** Minutes from one wall time to another (across days and DST changes, in the clinic's zone). */
export function minutesBetween(start: string, end: string, timeZone: string): number {
	const from = toZoned(parseDateTime(start), timeZone).toDate().getTime();
	const to = toZoned(parseDateTime(end), timeZone).toDate().getTime();
	return Math.round((to - from) / 60_000);
}
