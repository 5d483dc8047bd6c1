import type Database from 'better-sqlite3';
import type { UserRepository, UserRow } from '../users.ts';

interface Row {
	id: string;
	clinic_id: string;
	email: string;
	name: string;
	role: UserRow['role'];
	password_hash: string;
	created_at: number;
}

const toUser = (r: Row): UserRow => ({
	id: r.id,
	clinicId: r.clinic_id,
	email: r.email,
	name: r.name,
	role: r.role,
	passwordHash: r.password_hash,
	createdAt: r.created_at
});

export class SqliteUsers implements UserRepository {
	readonly #insert;
	readonly #byId;
	readonly #byEmail;

	constructor(db: Database.Database) {
		this.#insert = db.prepare<[string, string, string, string, string, string, number]>(
			'INSERT INTO users (id, clinic_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'
		);
		this.#byId = db.prepare<[string], Row>('SELECT * FROM users WHERE id = ?');
		this.#byEmail = db.prepare<[string], Row>('SELECT * FROM users WHERE email = ?');
	}

	async insert(u: UserRow) {
		this.#insert.run(u.id, u.clinicId, u.email, u.name, u.role, u.passwordHash, u.createdAt);
	}

	async getById(id: string) {
		const r = this.#byId.get(id);
		return r ? toUser(r) : null;
	}

	async getByEmail(email: string) {
		const r = this.#byEmail.get(email);
		return r ? toUser(r) : null;
	}
}
