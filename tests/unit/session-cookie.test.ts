import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiContext, type ApiDeps } from '../../server/api/index.ts';
import { Sessions, SESSION_TTL_MS } from '../../server/auth/index.ts';
import type { Store } from '../../server/store/index.ts';
import { storeWithStaff } from '../helpers/staffStore.ts';

// Rule HTTP-COOKIE-1 of docs/spec/http.md: the cookie slides with the session.

const DAY = 24 * 60 * 60 * 1000;
let store: Store;
let now: number;
const clock = () => now;

beforeEach(async () => {
	now = Date.UTC(2026, 10, 25, 9, 0, 0);
	store = await storeWithStaff('fd-cookie-', now);
});

afterEach(async () => {
	await store.close();
});

/** A request carrying the cookie, as it reaches the tRPC context, and the headers its response collects. */
function exchange(token: string) {
	const setCookie: string[] = [];
	const req = {
		headers: { cookie: `fd_session=${token}`, host: 'frontdesk.example.com' },
		socket: { remoteAddress: '10.0.0.1' }
	};
	const res = { appendHeader: (name: string, value: string) => name.toLowerCase() === 'set-cookie' && setCookie.push(value) };
	return { req: req as unknown as IncomingMessage, res: res as unknown as ServerResponse, setCookie };
}

describe('HTTP-COOKIE-1: the session cookie slides with the session', () => {
	it('HTTP-COOKIE-1: Sessions says when a validation renewed the session', async () => {
		const sessions = new Sessions(store, clock);
		const { token, session } = await sessions.create('u1', { ip: null, userAgent: null });
		now += 10 * DAY;
		expect(await sessions.validateToken(token)).toMatchObject({ renewed: false, session: { expiresAt: session.expiresAt } });
		now += 6 * DAY;
		expect(await sessions.validateToken(token)).toMatchObject({ renewed: true, session: { expiresAt: now + SESSION_TTL_MS } });
		expect((await sessions.validateToken(token))!.renewed).toBe(false);
	});

	it('HTTP-COOKIE-1: the tRPC context re-sends the cookie with the full Max-Age on renewal, and only then', async () => {
		const sessions = new Sessions(store, clock, SESSION_TTL_MS); // idle expiry as long as the lifetime: this is about renewal
		const deps = { sessions } as unknown as ApiDeps;
		const { token } = await sessions.create('u1', { ip: null, userAgent: null });

		now += 1 * DAY;
		const early = exchange(token);
		expect((await createApiContext(deps, early.req, early.res, 0)).auth).not.toBeNull();
		expect(early.setCookie).toEqual([]);

		now += 15 * DAY;
		const late = exchange(token);
		const ctx = await createApiContext(deps, late.req, late.res, 0);
		expect(ctx.auth!.session.expiresAt).toBe(now + SESSION_TTL_MS);
		expect(late.setCookie).toHaveLength(1);
		expect(late.setCookie[0]).toMatch(
			new RegExp(`^fd_session=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_TTL_MS / 1000}; Secure$`)
		);
	});
});
