import type Database from 'better-sqlite3';
import type { TicketRepository, TicketRow } from '../tickets.ts';

interface Row {
	id: string;
	session_id: string;
	doc_name: string;
	expires_at: number;
}

export class SqliteTickets implements TicketRepository {
	readonly #insert;
	readonly #take;
	readonly #deleteExpired;

	constructor(db: Database.Database) {
		this.#insert = db.prepare<[string, string, string, number]>(
			'INSERT INTO sync_tickets (id, session_id, doc_name, expires_at) VALUES (?, ?, ?, ?)'
		);
		// One statement deletes and returns: two takers cannot both get the row.
		this.#take = db.prepare<[string], Row>('DELETE FROM sync_tickets WHERE id = ? RETURNING *');
		this.#deleteExpired = db.prepare<[number]>('DELETE FROM sync_tickets WHERE expires_at <= ?');
	}

	async insert(t: TicketRow) {
		this.#insert.run(t.id, t.sessionId, t.docName, t.expiresAt);
	}

	async take(id: string) {
		const r = this.#take.get(id);
		return r ? { id: r.id, sessionId: r.session_id, docName: r.doc_name, expiresAt: r.expires_at } : null;
	}

	async deleteExpired(now: number) {
		return this.#deleteExpired.run(now).changes;
	}
}
