import type Database from 'better-sqlite3';
import type { SessionRepository, SessionRow } from '../sessions.ts';

interface Row {
	id: string;
	user_id: string;
	created_at: number;
	expires_at: number;
	last_seen_at: number;
	ip: string | null;
	user_agent: string | null;
}

const toSession = (r: Row): SessionRow => ({
	id: r.id,
	userId: r.user_id,
	createdAt: r.created_at,
	expiresAt: r.expires_at,
	lastSeenAt: r.last_seen_at,
	ip: r.ip ?? null,
	userAgent: r.user_agent ?? null
});

export class SqliteSessions implements SessionRepository {
	readonly #insert;
	readonly #get;
	readonly #touch;
	readonly #delete;
	readonly #list;
	readonly #deleteExpired;
	readonly #idsForUser;
	readonly #deleteForUser;

	constructor(db: Database.Database) {
		this.#insert = db.prepare<[string, string, number, number, number, string | null, string | null]>(
			'INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)'
		);
		this.#get = db.prepare<[string], Row>('SELECT * FROM sessions WHERE id = ?');
		this.#touch = db.prepare<[number, number, string]>('UPDATE sessions SET expires_at = ?, last_seen_at = ? WHERE id = ?');
		this.#delete = db.prepare<[string]>('DELETE FROM sessions WHERE id = ?');
		this.#list = db.prepare<[string], Row>('SELECT * FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC');
		this.#deleteExpired = db.prepare<[number, number]>('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?');
		this.#idsForUser = db.prepare<[string, string], string>('SELECT id FROM sessions WHERE user_id = ? AND id != ?').pluck();
		this.#deleteForUser = db.transaction((userId: string, keep: string) => {
			const ids = this.#idsForUser.all(userId, keep);
			for (const id of ids) this.#delete.run(id);
			return ids;
		});
	}

	async insert(s: SessionRow) {
		this.#insert.run(s.id, s.userId, s.createdAt, s.expiresAt, s.lastSeenAt, s.ip, s.userAgent);
	}

	async get(id: string) {
		const r = this.#get.get(id);
		return r ? toSession(r) : null;
	}

	async touch(id: string, expiresAt: number, lastSeenAt: number) {
		this.#touch.run(expiresAt, lastSeenAt, id);
	}

	async delete(id: string) {
		return this.#delete.run(id).changes > 0;
	}

	async listForUser(userId: string) {
		return this.#list.all(userId).map(toSession);
	}

	async liveIds(ids: readonly string[], now: number) {
		const live = new Set<string>();
		for (const id of ids) {
			const r = this.#get.get(id);
			if (r && r.expires_at > now) live.add(id);
		}
		return live;
	}

	async deleteExpired(now: number, idleSince = -Infinity) {
		return this.#deleteExpired.run(now, idleSince).changes;
	}

	async deleteForUser(userId: string, keep = '') {
		return this.#deleteForUser.immediate(userId, keep);
	}
}
