import type Database from 'better-sqlite3';
import type { InvitationRepository, InvitationRow } from '../invitations.ts';

interface Row {
	id: string;
	user_id: string;
	created_by: string | null;
	created_at: number;
	expires_at: number;
}

const toInvitation = (r: Row): InvitationRow => ({
	id: r.id,
	userId: r.user_id,
	createdBy: r.created_by,
	createdAt: r.created_at,
	expiresAt: r.expires_at
});

export class SqliteInvitations implements InvitationRepository {
	readonly #insert;
	readonly #get;
	readonly #delete;
	readonly #deleteForUser;
	readonly #latestForUser;
	readonly #deleteExpired;
	readonly #take;

	constructor(db: Database.Database) {
		this.#insert = db.prepare<[string, string, string | null, number, number]>(
			'INSERT INTO invitations (id, user_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'
		);
		this.#get = db.prepare<[string], Row>('SELECT * FROM invitations WHERE id = ?');
		this.#delete = db.prepare<[string]>('DELETE FROM invitations WHERE id = ?');
		this.#deleteForUser = db.prepare<[string]>('DELETE FROM invitations WHERE user_id = ?');
		this.#latestForUser = db.prepare<[string, number], Row>(
			'SELECT * FROM invitations WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC LIMIT 1'
		);
		this.#deleteExpired = db.prepare<[number]>('DELETE FROM invitations WHERE expires_at <= ?');
		this.#take = db.transaction((id: string, now: number) => {
			const r = this.#get.get(id);
			if (!r) return null;
			this.#delete.run(id);
			return r.expires_at > now ? toInvitation(r) : null;
		});
	}

	async insert(i: InvitationRow) {
		this.#insert.run(i.id, i.userId, i.createdBy, i.createdAt, i.expiresAt);
	}

	async get(id: string) {
		const r = this.#get.get(id);
		return r ? toInvitation(r) : null;
	}

	async take(id: string, now: number) {
		return this.#take.immediate(id, now);
	}

	async deleteForUser(userId: string) {
		this.#deleteForUser.run(userId);
	}

	async pendingFor(userIds: readonly string[], now: number) {
		const pending = new Map<string, InvitationRow>();
		for (const id of userIds) {
			const r = this.#latestForUser.get(id, now);
			if (r) pending.set(id, toInvitation(r));
		}
		return pending;
	}

	async deleteExpired(now: number) {
		return this.#deleteExpired.run(now).changes;
	}
}
