import type { IncomingMessage, ServerResponse } from 'node:http';
import { readCookie, SESSION_COOKIE, type Sessions } from '../auth/index.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { CALENDAR_WEBHOOK_PATH, type CalendarSync } from './CalendarSync.ts';
import { OAUTH_CALLBACK_PATH, type CalendarConnections } from './connections.ts';

/** Where the settings screen for calendars is (the OAuth answer sends the browser back there). */
const SETTINGS_PATH = '/settings/calendar';

const header = (req: IncomingMessage, name: string) => {
	const value = req.headers[name];
	return typeof value === 'string' ? value : undefined;
};

/**
 * Google's two ways in: push notifications (`POST /webhooks/google/calendar`, headers only, SCHEDULE-GOOGLE-5) and
 * the browser coming back from the consent screen (`GET /calendar/oauth/callback`). True if the path was one of them.
 */
export function handleCalendarHttp(
	req: IncomingMessage,
	res: ServerResponse,
	path: string,
	deps: { sync: CalendarSync; connections: CalendarConnections; sessions: Sessions; logger: Logger }
): boolean {
	if (path === CALENDAR_WEBHOOK_PATH) {
		// A calendar notification has no body: nothing is read, whatever is sent.
		req.resume();
		if (req.method !== 'POST') {
			res.writeHead(405, { allow: 'POST' }).end();
			return true;
		}
		deps.sync
			.notified({
				channelId: header(req, 'x-goog-channel-id'),
				token: header(req, 'x-goog-channel-token'),
				resourceId: header(req, 'x-goog-resource-id'),
				state: header(req, 'x-goog-resource-state')
			})
			.then((status) => {
				if (status !== 200) deps.logger.warn({ status }, 'calendar notification refused');
				res.writeHead(status).end();
			})
			.catch((error: unknown) => {
				deps.logger.error({ err: errorMessage(error) }, 'calendar notification failed');
				res.writeHead(500).end();
			});
		return true;
	}
	if (path === OAUTH_CALLBACK_PATH) {
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
