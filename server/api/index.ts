import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowedOrigin, readCookie, SESSION_COOKIE, sessionCookie } from '../auth/index.ts';
import { clientAddress } from '../http/clientAddress.ts';
import { declaredTooLarge, readBoundedBody, refuseTooLarge } from '../http/bodyLimit.ts';
import { accountRouter } from './accountRouter.ts';
import { calendarRouter } from './calendarRouter.ts';
import { channelsRouter } from './channelsRouter.ts';
import { authRouter } from './authRouter.ts';
import { invitationRouter } from './invitationRouter.ts';
import { reportsRouter } from './reportsRouter.ts';
import { staffRouter } from './staffRouter.ts';
import { syncRouter } from './syncRouter.ts';
import { router, type ApiContext, type ApiDeps } from './trpc.ts';

export type { ApiDeps } from './trpc.ts';

export const appRouter = router({
	auth: authRouter,
	account: accountRouter,
	invitation: invitationRouter,
	staff: staffRouter,
	reports: reportsRouter,
	sync: syncRouter,
	channels: channelsRouter,
	calendar: calendarRouter
});
export type AppRouter = typeof appRouter;

export const TRPC_PREFIX = '/trpc';

export interface ApiOptions {
	/** The app's configured origins (tRPC calls from browser pages of other sites are refused). */
	origins: readonly string[];
	/** Reverse proxies in front of the server (`TRUST_PROXY`): whether and how far `X-Forwarded-For` is read. */
	trustProxy: number;
	/** Largest request body (`HTTP_MAX_BODY_BYTES`). */
	maxBodyBytes: number;
}

/** The client's address as every caller records it (sessions, login limits, logs). */
export function clientIp(req: IncomingMessage, trustProxy: number): string {
	return clientAddress(req, trustProxy);
}

/** Plain-HTTP localhost is the only place a session cookie goes without `Secure`. */
export function isLocalHttp(req: IncomingMessage): boolean {
	const host = (req.headers.host ?? '').replace(/:\d+$/, '');
	const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true;
	return !encrypted && ['localhost', '127.0.0.1', '[::1]'].includes(host);
}

/** The context of one call. A session renewed by this request re-sends its cookie, so the browser's expiry slides too. */
export async function createApiContext(
	deps: ApiDeps,
	req: IncomingMessage,
	res: ServerResponse,
	trustProxy: number
): Promise<ApiContext> {
	const secureCookies = !isLocalHttp(req);
	const token = readCookie(req.headers.cookie, SESSION_COOKIE);
	const auth = token ? await deps.sessions.validateToken(token) : null;
	if (token && auth?.renewed) res.appendHeader('Set-Cookie', sessionCookie(token, secureCookies));
	return { deps, req, res, ip: clientIp(req, trustProxy), secureCookies, auth };
}

/**
 * The tRPC endpoint. A request from a browser page of another site is refused before any procedure runs
 * (the cookie would otherwise ride along); clients without an Origin header are not browsers and may call.
 * Bodies are read here, bounded, before tRPC sees them.
 */
export function createApiHandler(deps: ApiDeps, opts: ApiOptions) {
	const handler = createHTTPHandler({
		router: appRouter,
		basePath: TRPC_PREFIX + '/',
		createContext: ({ req, res }) => createApiContext(deps, req, res, opts.trustProxy),
		onError: ({ error, path, ctx }) => {
			if (error.code !== 'INTERNAL_SERVER_ERROR') return;
			// The client got a generic message; the cause is logged with ids only.
			const cause = error.cause ?? error;
			deps.logger.error(
				{ path, userId: ctx?.auth?.user.id ?? null, err: cause.name, reason: cause.message.slice(0, 200) },
				'api error'
			);
		}
	});
	const tooLarge = (req: IncomingMessage, res: ServerResponse, declared: boolean) => {
		deps.metrics.limitHits.inc({ limit: 'http_max_body_bytes' });
		deps.logger.warn(
			{ ip: clientIp(req, opts.trustProxy), path: (req.url ?? '').split('?')[0], declared, limit: opts.maxBodyBytes },
			'request body over the limit'
		);
		refuseTooLarge(req, res, opts.maxBodyBytes);
	};
	return async (req: IncomingMessage, res: ServerResponse) => {
		const origin = req.headers.origin;
		if (origin !== undefined && !isAllowedOrigin(origin, req.headers.host, opts.origins)) {
			res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'cross-site request refused' }));
			return;
		}
		if (declaredTooLarge(req, opts.maxBodyBytes)) return tooLarge(req, res, true);
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			let body: Buffer | null;
			try {
				body = await readBoundedBody(req, opts.maxBodyBytes);
			} catch {
				res.destroy();
				return;
			}
			if (body === null) return tooLarge(req, res, false);
			// tRPC reads a body already taken from the stream from `req.body`.
			(req as IncomingMessage & { body?: string }).body = body.toString('utf8');
		}
		handler(req, res);
	};
}
