import { EventEmitter } from 'node:events';
import type { SessionRow, Store, UserRow } from '../store/index.ts';
import { generateToken, hashToken } from './tokens.ts';

export const SESSION_COOKIE = 'fd_session';
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** The default of `SESSION_IDLE_DAYS`. */
export const SESSION_IDLE_MS = 14 * 24 * 60 * 60 * 1000;
/** Extend a session once less than half of its life is left: active staff stay signed in. */
const RENEW_WHEN_LEFT_MS = SESSION_TTL_MS / 2;
/** last_seen_at is written at most this often per session, not on every request. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

export interface SessionContext {
	session: SessionRow;
	user: UserRow;
	/** This validation extended the session: the cookie must be sent again with the new lifetime. */
	renewed: boolean;
}

export interface DeviceInfo {
	ip: string | null;
	userAgent: string | null;
}

type SessionEvents = { ended: [sessionId: string]; changed: [sessionId: string] };

/**
 * Sessions in Lucia's design: a random token in the cookie, its SHA-256 in the database, a 30-day sliding expiry,
 * and an end after `idleMs` without use. A deactivated user's sessions are not valid. `ended` fires when a session
 * is revoked or signed out, so open sockets close at once.
 */
export class Sessions {
	readonly events = new EventEmitter<SessionEvents>();
	readonly #store: Pick<Store, 'sessions' | 'users'>;
	readonly #now: () => number;
	readonly #idleMs: number;

	constructor(store: Pick<Store, 'sessions' | 'users'>, now: () => number = Date.now, idleMs = SESSION_IDLE_MS) {
		this.#store = store;
		this.#now = now;
		this.#idleMs = idleMs;
	}

	async create(userId: string, device: DeviceInfo): Promise<{ token: string; session: SessionRow }> {
		const token = generateToken();
		const now = this.#now();
		const session: SessionRow = {
			id: hashToken(token),
			userId,
			createdAt: now,
			expiresAt: now + SESSION_TTL_MS,
			lastSeenAt: now,
			ip: device.ip,
			userAgent: device.userAgent?.slice(0, 300) ?? null
		};
		await this.#store.sessions.insert(session);
		return { token, session };
	}

	/** The session and user behind a token, renewing it if due; null if unknown or expired. */
	async validateToken(token: string): Promise<SessionContext | null> {
		return this.validateId(hashToken(token));
	}

	async validateId(sessionId: string): Promise<SessionContext | null> {
		const session = await this.#store.sessions.get(sessionId);
		if (!session) return null;
		const now = this.#now();
		if (now >= session.expiresAt || now - session.lastSeenAt >= this.#idleMs) {
			await this.#store.sessions.delete(session.id);
			return null;
		}
		const user = await this.#store.users.getById(session.userId);
		if (!user?.active) return null;
		const renew = session.expiresAt - now < RENEW_WHEN_LEFT_MS;
		if (renew || now - session.lastSeenAt >= LAST_SEEN_GRANULARITY_MS) {
			session.expiresAt = renew ? now + SESSION_TTL_MS : session.expiresAt;
			session.lastSeenAt = now;
			await this.#store.sessions.touch(session.id, session.expiresAt, session.lastSeenAt);
		}
		return { session, user, renewed: renew };
	}

	async list(userId: string): Promise<SessionRow[]> {
		const now = this.#now();
		return (await this.#store.sessions.listForUser(userId)).filter((s) => s.expiresAt > now && now - s.lastSeenAt < this.#idleMs);
	}

	async end(sessionId: string): Promise<boolean> {
		const removed = await this.#store.sessions.delete(sessionId);
		this.events.emit('ended', sessionId);
		return removed;
	}

	/** Ends every session of a user but `keep`; their sockets close at once. Returns how many ended. */
	async endAllForUser(userId: string, keep?: string): Promise<number> {
		const ended = await this.#store.sessions.deleteForUser(userId, keep);
		for (const id of ended) this.events.emit('ended', id);
		return ended.length;
	}

	/**
	 * The user's role changed: every socket of their sessions reconnects, so its access is decided again under the
	 * new role (a demoted admin's open directory socket must not stay writable).
	 */
	async accessChanged(userId: string): Promise<void> {
		for (const s of await this.#store.sessions.listForUser(userId)) this.events.emit('changed', s.id);
	}

	/** Removes sessions past their expiry or idle for too long (the periodic sweep). */
	sweep(): Promise<number> {
		const now = this.#now();
		return this.#store.sessions.deleteExpired(now, now - this.#idleMs);
	}

	/** Of these sessions, the ones still valid now (used to cut sockets of sessions ended by another process). */
	live(sessionIds: string[]): Promise<Set<string>> {
		return this.#store.sessions.liveIds(sessionIds, this.#now());
	}
}
