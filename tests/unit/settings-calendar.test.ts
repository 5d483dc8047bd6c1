import { describe, expect, it } from 'vitest';
import {
	calendarLabel,
	connectionState,
	consentReturn,
	primaryFirst,
	type CalendarLink
} from '../../src/lib/settings/calendar/calendarLinks.ts';

const link = (change: Partial<CalendarLink> = {}): CalendarLink => ({
	practitionerId: 'p1',
	calendarId: 'dr@example.com',
	calendarName: 'Dr. Ayşe',
	state: 'ok',
	lastError: null,
	pending: false,
	...change
});

describe('SCHEDULE-GOOGLE-UI-5: what the settings screen says of a practitioner’s calendar', () => {
	it('not connected, picking (also over a link being reconnected), connected, retrying, needs reconnecting', () => {
		expect(connectionState(undefined)).toBe('none');
		expect(connectionState(link({ pending: true }))).toBe('picking');
		expect(connectionState(link({ pending: true, state: 'failing', lastError: 'auth' }))).toBe('picking');
		expect(connectionState(link())).toBe('connected');
		expect(connectionState(link({ state: 'retrying', lastError: 'rateLimitExceeded' }))).toBe('retrying');
		expect(connectionState(link({ state: 'failing', lastError: 'auth' }))).toBe('reconnect');
	});

	it('a connected calendar is named as in Google; by its id only while its name is unknown (a link the admin CLI made)', () => {
		expect(calendarLabel(link({ calendarId: 'abc123@group.calendar.google.com', calendarName: 'Muayene' }))).toBe('Muayene');
		expect(calendarLabel(link({ calendarId: 'abc123@group.calendar.google.com', calendarName: null }))).toBe(
			'abc123@group.calendar.google.com'
		);
	});

	it('the way back from Google: a calendar to pick, or a message for each refusal (an unknown one as a failure)', () => {
		expect(consentReturn(new URLSearchParams('practitioner=p1&pick=1'))).toEqual({ pick: 'p1' });
		expect(consentReturn(new URLSearchParams('practitioner=p1'))).toBeNull();
		expect(consentReturn(new URLSearchParams(''))).toBeNull();
		expect(consentReturn(new URLSearchParams('error=state'))).toEqual({ error: 'calendar.connect.error.state' });
		expect(consentReturn(new URLSearchParams('error=<script>'))).toEqual({ error: 'calendar.connect.error.failed' });
	});

	it('the account’s main calendar comes first, the others as Google lists them', () => {
		const calendars = [
			{ id: 'b', summary: 'B', primary: false },
			{ id: 'm', summary: 'M', primary: true },
			{ id: 'a', summary: 'A', primary: false }
		];
		expect(primaryFirst(calendars).map((c) => c.id)).toEqual(['m', 'b', 'a']);
	});
});
