import { errorCode, type RouterOutputs } from '$lib/api/client.ts';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';

/** What the server says of the calendars one may see (`calendar.status`). */
export type CalendarStatus = RouterOutputs['calendar']['status'];
export type CalendarLink = CalendarStatus['links'][number];
/** A calendar of the Google account just allowed, to pick from. */
export type GoogleCalendar = RouterOutputs['calendar']['calendars'][number];

/**
 * Where a practitioner's calendar stands, as the settings screen says it: not connected; allowed in Google and
 * waiting for a calendar to be picked; connected; connected but Google not answering (backing off); or Google
 * refusing the access (revoked, expired): reconnect.
 */
export type ConnectionState = 'none' | 'picking' | 'connected' | 'retrying' | 'reconnect';

export function connectionState(link: CalendarLink | undefined): ConnectionState {
	if (!link) return 'none';
	// A consent waiting for its calendar: the picker comes first, also over a link being reconnected.
	if (link.pending) return 'picking';
	if (link.state === 'failing') return 'reconnect';
	return link.state === 'retrying' ? 'retrying' : 'connected';
}

/** How a connected calendar is named on the screen: its name in Google, its id only while the name is unknown. */
export function calendarLabel(link: Pick<CalendarLink, 'calendarId' | 'calendarName'>): string {
	return link.calendarName ?? link.calendarId;
}

/** The account's calendars with its primary one first (then as Google lists them): the picker preselects it. */
export function primaryFirst(calendars: readonly GoogleCalendar[]): GoogleCalendar[] {
	return [...calendars.filter((c) => c.primary), ...calendars.filter((c) => !c.primary)];
}

/** Why Google's consent did not connect anything, as the server's callback says it (`?error=`). */
export const CONSENT_ERRORS = ['state', 'denied', 'code', 'no_refresh_token', 'exchange', 'failed'] as const;
export type ConsentError = (typeof CONSENT_ERRORS)[number];

const CONSENT_ERROR_TEXT: Record<ConsentError, MessageKey> = {
	state: 'calendar.connect.error.state',
	denied: 'calendar.connect.error.denied',
	code: 'calendar.connect.error.code',
	no_refresh_token: 'calendar.connect.error.no_refresh_token',
	exchange: 'calendar.connect.error.exchange',
	failed: 'calendar.connect.error.failed'
};

/** The way back from Google's consent screen: a calendar to pick for this practitioner, or why not. */
export type ConsentReturn = { pick: string } | { error: MessageKey } | null;

export function consentReturn(params: URLSearchParams): ConsentReturn {
	const error = params.get('error');
	if (error !== null) {
		const known = CONSENT_ERRORS.find((e) => e === error);
		return { error: CONSENT_ERROR_TEXT[known ?? 'failed'] };
	}
	const practitionerId = params.get('practitioner');
	return practitionerId && params.get('pick') === '1' ? { pick: practitionerId } : null;
}

/** What to tell the person when a call about calendars failed; nothing changed on the server then. */
export function callFailure(error: unknown): MessageKey {
	switch (errorCode(error)) {
		case 'NETWORK':
			return 'calendar.connect.offline';
		case 'FORBIDDEN':
		case 'UNAUTHORIZED':
			return 'calendar.connect.error.forbidden';
		case 'NOT_FOUND':
			return 'calendar.connect.error.gone';
		case 'PRECONDITION_FAILED':
			return 'calendar.connect.error.precondition';
		default:
			return 'calendar.connect.error.failed';
	}
}

/** Whether a failed call failed this way (a tRPC error code, or `NETWORK`: the server was not reached). */
export const errorCodeIs = (error: unknown, code: string): boolean => errorCode(error) === code;
