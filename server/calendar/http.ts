import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { readCookie, SESSION_COOKIE, type Sessions } from '../auth/index.ts';
import { errorMessage } from '../errors.ts';
import { refuseTooLarge } from '../http/bodyLimit.ts';
import { clientAddress } from '../http/clientAddress.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { CALENDAR_WEBHOOK_PATH, type CalendarSync } from './CalendarSync.ts';
import { OAUTH_CALLBACK_PATH, type CalendarConnections } from './connections.ts';

/** Where the settings screen for calendars is (the OAuth answer sends the browser back there). */
const SETTINGS_PATH = '/settings/calendar';

const header = (req: IncomingMessage, name: string) => {
	const value = req.headers[name];
	return typeof value === 'string' ? value : undefined;
};

/** Notifications one client address may send per minute (SCHEDULE-GOOGLE-10); one limiter per process. */
export function notificationLimiter(perMinute: number): RateLimiterMemory {
	return new RateLimiterMemory({ keyPrefix: 'calendar-notification', points: perMinute, duration: 60 });
}

/**
 * The request declares a body: a `content-length` above 0, or any `transfer-encoding` (Node's parser accepts only
 * one ending in `chunked`). Without either, an HTTP/1.1 request has none.
 */
export function declaresBody(req: IncomingMessage): boolean {
	const length = req.headers['content-length'];
	return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

export interface CalendarHttpDeps {
	sync: CalendarSync;
	connections: CalendarConnections;
	sessions: Sessions;
	logger: Logger;
	metrics: Pick<Metrics, 'limitHits'>;
	/** `TRUST_PROXY`: how the client address the limiter counts is read. */
	trustProxy: number;
	/** From `notificationLimiter(CALENDAR_NOTIFICATIONS_PER_MINUTE)`. */
	notifications: RateLimiterMemory;
}

/**
 * Google's two ways in: push notifications (`POST /webhooks/google/calendar`, headers only, SCHEDULE-GOOGLE-5) and
 * the browser coming back from the consent screen (`GET /calendar/oauth/callback`, no body either,
 * SCHEDULE-GOOGLE-11). True if the path was one of them.
 */
export function handleCalendarHttp(req: IncomingMessage, res: ServerResponse, path: string, deps: CalendarHttpDeps): boolean {
	if (path === CALENDAR_WEBHOOK_PATH) {
		receiveNotification(req, res, deps);
		return true;
	}
	if (path === OAUTH_CALLBACK_PATH) {
		// The consent's answer is all in the query: a declared body is refused unread, before the session or the
		// state is looked up (SCHEDULE-GOOGLE-11).
		if (declaresBody(req)) {
			deps.metrics.limitHits.inc({ limit: 'calendar_callback_body' });
			// Path and address only: the query carries the consent's code and state.
			deps.logger.warn(
				{ path: OAUTH_CALLBACK_PATH, ip: clientAddress(req, deps.trustProxy) },
				'calendar consent answer with a body refused'
			);
			refuseTooLarge(req, res, 0);
			return true;
		}
		// No body was declared: this only lets the request end.
		req.resume();
		if (req.method !== 'GET') {
			res.writeHead(405, { allow: 'GET' }).end();
			return true;
		}
		void (async () => {
			const token = readCookie(req.headers.cookie, SESSION_COOKIE);
			const session = token ? await deps.sessions.validateToken(token) : null;
			const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
			const result = await deps.connections.callback(query, session?.user.id ?? null);
			const back =
				'error' in result
					? `${SETTINGS_PATH}?error=${encodeURIComponent(result.error)}`
					: `${SETTINGS_PATH}?practitioner=${encodeURIComponent(result.practitionerId)}&pick=1`;
			res.writeHead(303, { location: back, 'cache-control': 'no-store' }).end();
		})().catch((error: unknown) => {
			deps.logger.error({ err: errorMessage(error) }, 'calendar consent failed');
			res.writeHead(303, { location: `${SETTINGS_PATH}?error=failed` }).end();
		});
		return true;
	}
	return false;
}

/**
 * A push notification: headers only. A declared body is refused unread (SCHEDULE-GOOGLE-9), then each client
 * address is held to its rate (SCHEDULE-GOOGLE-10); only then is the channel looked up.
 */
function receiveNotification(req: IncomingMessage, res: ServerResponse, deps: CalendarHttpDeps): void {
	const ip = clientAddress(req, deps.trustProxy);
	if (declaresBody(req)) {
		deps.metrics.limitHits.inc({ limit: 'calendar_notification_body' });
		deps.logger.warn({ path: CALENDAR_WEBHOOK_PATH, ip }, 'calendar notification with a body refused');
		// 413 and the connection closed the way every other one is (HTTP-BODY-1): FIN, then a bounded discard.
		refuseTooLarge(req, res, 0);
		return;
	}
	// No body was declared: this only lets the request end.
	req.resume();
	if (req.method !== 'POST') {
		res.writeHead(405, { allow: 'POST' }).end();
		return;
	}
	deps.notifications
		.consume(ip)
		.then(
			() =>
				deps.sync.notified({
					channelId: header(req, 'x-goog-channel-id'),
					token: header(req, 'x-goog-channel-token'),
					resourceId: header(req, 'x-goog-resource-id'),
					state: header(req, 'x-goog-resource-state')
				}),
			(error: unknown) => {
				if (!(error instanceof RateLimiterRes)) throw error;
				deps.metrics.limitHits.inc({ limit: 'calendar_notifications_per_minute' });
				// Logged once per address and minute (the first refusal); every refusal is counted.
				if (error.consumedPoints === deps.notifications.points + 1)
					deps.logger.warn(
						{ path: CALENDAR_WEBHOOK_PATH, ip, limit: deps.notifications.points },
						'calendar notification rate limit reached'
					);
				res.writeHead(429, { 'retry-after': String(Math.max(1, Math.ceil(error.msBeforeNext / 1000))) }).end();
				return null;
			}
		)
		.then((status) => {
			if (status === null) return;
			if (status !== 200) deps.logger.warn({ status }, 'calendar notification refused');
			res.writeHead(status).end();
		})
		.catch((error: unknown) => {
			deps.logger.error({ err: errorMessage(error) }, 'calendar notification failed');
			if (!res.headersSent) res.writeHead(500).end();
		});
}
