import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { OAuth2Client } from 'google-auth-library';
import type { CalendarSettings } from '../config/index.ts';

/** What the app asks Google for: its calendars' events, and the list of calendars to pick from. */
export const CALENDAR_SCOPES = [
	'https://www.googleapis.com/auth/calendar.events',
	'https://www.googleapis.com/auth/calendar.calendarlist.readonly'
];

/** A request to Google that does not answer within this long fails (and is retried later, like a 503). */
const REQUEST_TIMEOUT_MS = 15_000;

/** Google's own client for one practitioner's account: OAuth with their refresh token, pointed at the settings' URLs. */
export function googleClient(
	settings: CalendarSettings,
	refreshToken: string | null
): { api: calendar_v3.Calendar; oauth: OAuth2Client } {
	const oauth = oauthClient(settings);
	if (refreshToken) oauth.setCredentials({ refresh_token: refreshToken });
	// Retries are ours (CalendarSync's backoff, kept across restarts), not the HTTP client's: gaxios would retry
	// 429 and 5xx within the call, holding the clinic's queue.
	const api = calendar({ version: 'v3', auth: oauth, rootUrl: settings.apiRoot, retry: false, timeout: REQUEST_TIMEOUT_MS });
	return { api, oauth };
}

export function oauthClient(settings: CalendarSettings, redirectUri?: string): OAuth2Client {
	return new OAuth2Client({
		clientId: settings.clientId ?? undefined,
		clientSecret: settings.clientSecret ?? undefined,
		...(redirectUri ? { redirectUri } : {}),
		endpoints: { oauth2TokenUrl: settings.tokenUrl, oauth2AuthBaseUrl: settings.authUrl }
	});
}

/** What a failed call to Google means for the sync. */
export type GoogleFailure =
	/** Rate limited or unavailable: try again later, with backoff. */
	| { kind: 'retry'; reason: string }
	/** The sync token expired (410): list everything again. */
	| { kind: 'gone' }
	/** The event changed since the etag we sent (412). */
	| { kind: 'conflict' }
	/** The id is taken (409): the event exists already. */
	| { kind: 'duplicate' }
	| { kind: 'not_found' }
	/** The refresh token was revoked or the account lost access: a person must reconnect. */
	| { kind: 'auth'; reason: string }
	| { kind: 'refused'; status: number; reason: string };

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

/** Reads a GaxiosError (or a network error) into what the sync does next. Never includes event content. */
export function classifyFailure(error: unknown): GoogleFailure {
	const e = error as {
		status?: number;
		code?: string | number;
		response?: { status?: number; data?: unknown };
		message?: string;
	};
	const status = e.response?.status ?? e.status ?? (typeof e.code === 'number' ? e.code : undefined);
	const data = e.response?.data as { error?: { errors?: { reason?: string }[] } | string } | undefined;
	const reason =
		typeof data?.error === 'string' ? data.error : (data?.error?.errors?.[0]?.reason ?? (status ? String(status) : 'network'));
	if (status === undefined) return { kind: 'retry', reason: typeof e.code === 'string' ? e.code : 'network' };
	if (status === 410) return { kind: 'gone' };
	if (status === 412) return { kind: 'conflict' };
	if (status === 409) return { kind: 'duplicate' };
	if (status === 404) return { kind: 'not_found' };
	if (status === 429 || status >= 500) return { kind: 'retry', reason: status === 429 ? 'rateLimitExceeded' : reason };
	if (status === 403 && RATE_LIMIT_REASONS.has(reason)) return { kind: 'retry', reason };
	if (status === 401 || reason === 'invalid_grant' || status === 403) return { kind: 'auth', reason };
	return { kind: 'refused', status, reason };
}

/** A failure the sync does not handle where it happened: carried up to the link's backoff. */
export class GoogleError extends Error {
	override name = 'GoogleError';
	readonly failure: GoogleFailure;
	constructor(failure: GoogleFailure) {
		super(`Google Calendar: ${failure.kind}${'reason' in failure ? ` (${failure.reason})` : ''}`);
		this.failure = failure;
	}
}
