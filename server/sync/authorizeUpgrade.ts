import type { IncomingMessage } from 'node:http';
import {
	isAllowedOrigin,
	readCookie,
	refuseDoc,
	SESSION_COOKIE,
	type Sessions,
	type SyncTickets,
	type SessionContext
} from '../auth/index.ts';
import { parseDocName, type DocName } from '../../src/lib/domain/docName.ts';
import { SYNC_MUX_PATH, SYNC_PATH_PREFIX } from '../../src/lib/domain/syncProtocol.ts';

export type UpgradeDecision =
	| { ok: true; docName: string; doc: DocName; auth: SessionContext }
	/** The multiplexed endpoint: the session is known; each doc is authorized as its channel opens (`refuseDoc`). */
	| { ok: true; mux: true; auth: SessionContext }
	| { ok: false; status: number; reason: string };

export interface UpgradeAuthDeps {
	sessions: Sessions;
	tickets: SyncTickets;
	origins: readonly string[];
}

/**
 * Decides a websocket upgrade before the socket opens. A ticket (`?ticket=`) works from any client;
 * the session cookie counts only with an Origin of this app. Then the doc's clinic and kind must fit the user.
 */
export async function authorizeUpgrade(req: IncomingMessage, deps: UpgradeAuthDeps): Promise<UpgradeDecision> {
	const url = new URL(req.url ?? '/', 'http://upgrade.invalid');
	if (url.pathname === SYNC_MUX_PATH) {
		// Tickets name one doc; the multiplexed socket is for the app's own pages, with its cookie and Origin.
		const auth = await cookieSession(req, deps);
		return 'status' in auth ? auth : { ok: true, mux: true, auth: auth.auth };
	}
	if (!url.pathname.startsWith(SYNC_PATH_PREFIX)) return { ok: false, status: 404, reason: 'not a sync path' };
	let docName: string;
	try {
		docName = url.pathname.slice(SYNC_PATH_PREFIX.length).split('/').map(decodeURIComponent).join('/');
	} catch {
		return { ok: false, status: 400, reason: 'malformed doc name' };
	}
	const doc = parseDocName(docName);
	if (!doc) return { ok: false, status: 400, reason: 'malformed doc name' };

	let auth: SessionContext | null;
	const ticket = url.searchParams.get('ticket');
	if (ticket) {
		const sessionId = await deps.tickets.redeem(ticket, docName);
		auth = sessionId ? await deps.sessions.validateId(sessionId) : null;
		if (!auth) return { ok: false, status: 401, reason: 'ticket invalid, used or expired' };
	} else {
		const found = await cookieSession(req, deps);
		if ('status' in found) return found;
		auth = found.auth;
	}

	const refusal = refuseDoc(auth.user, doc);
	if (refusal) return { ok: false, status: 403, reason: refusal };
	return { ok: true, docName, doc, auth };
}

/** The session of the cookie, which counts only with an Origin of this app. */
async function cookieSession(
	req: IncomingMessage,
	deps: UpgradeAuthDeps
): Promise<{ ok: false; status: number; reason: string } | { auth: SessionContext }> {
	const token = readCookie(req.headers.cookie, SESSION_COOKIE);
	if (!token) return { ok: false, status: 401, reason: 'no session' };
	if (!isAllowedOrigin(req.headers.origin, req.headers.host, deps.origins)) {
		return { ok: false, status: 403, reason: 'origin not allowed for cookie authentication' };
	}
	const auth = await deps.sessions.validateToken(token);
	if (!auth) return { ok: false, status: 401, reason: 'session invalid or expired' };
	return { auth };
}
