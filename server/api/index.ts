import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAllowedOrigin, readCookie, SESSION_COOKIE } from '../auth/index.ts';
import { authRouter } from './authRouter.ts';
import { syncRouter } from './syncRouter.ts';
import { router, type ApiContext, type ApiDeps } from './trpc.ts';

export type { ApiDeps } from './trpc.ts';

export const appRouter = router({ auth: authRouter, sync: syncRouter });
export type AppRouter = typeof appRouter;

export const TRPC_PREFIX = '/trpc';

export function clientIp(req: IncomingMessage): string {
	return req.socket.remoteAddress ?? 'unknown';
}

/** Plain-HTTP localhost is the only place a session cookie goes without `Secure`. */
export function isLocalHttp(req: IncomingMessage): boolean {
	const host = (req.headers.host ?? '').replace(/:\d+$/, '');
	const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true;
	return !encrypted && ['localhost', '127.0.0.1', '[::1]'].includes(host);
}

/**
 * The tRPC endpoint. A request from a browser page of another site is refused before any procedure runs
 * (the cookie would otherwise ride along); clients without an Origin header are not browsers and may call.
 */
export function createApiHandler(deps: ApiDeps, origins: readonly string[]) {
	const handler = createHTTPHandler({
		router: appRouter,
		basePath: TRPC_PREFIX + '/',
		createContext: async ({ req, res }): Promise<ApiContext> => {
			const token = readCookie(req.headers.cookie, SESSION_COOKIE);
			const auth = token ? await deps.sessions.validateToken(token) : null;
			return { deps, req, res, ip: clientIp(req), secureCookies: !isLocalHttp(req), auth };
		},
		onError: ({ error, path }) => {
			if (error.code === 'INTERNAL_SERVER_ERROR') deps.logger.error({ path, err: error.message }, 'api error');
		}
	});
	return (req: IncomingMessage, res: ServerResponse) => {
		const origin = req.headers.origin;
		if (origin !== undefined && !isAllowedOrigin(origin, req.headers.host, origins)) {
			res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'cross-site request refused' }));
			return;
		}
		handler(req, res);
	};
}
