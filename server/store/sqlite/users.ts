import type Database from 'better-sqlite3';
import type { UserChange, UserRepository, UserRow } from '../users.ts';

interface Row {
	id: string;
	clinic_id: string;
	email: string;
	name: string;
	role: UserRow['role'];
	password_hash: string;
	active: 0 | 1;
	practitioner_id: string | null;
	created_at: number;
}

const toUser = (r: Row): UserRow => ({
	id: r.id,
	clinicId: r.clinic_id,
	email: r.email,
	name: r.name,
	role: r.role,
	passwordHash: r.password_hash,
	active: r.active === 1,
	practitionerId: r.practitioner_id,
	createdAt: r.created_at
});

const COLUMNS: Record<keyof UserChange, string> = {
	name: 'name',
	role: 'role',
	active: 'active',
	practitionerId: 'practitioner_id',
	passwordHash: 'password_hash'
};

export class SqliteUsers implements UserRepository {
	readonly #db: Database.Database;
	readonly #insert;
	readonly #byId;
	readonly #byEmail;
	readonly #byClinic;
	readonly #activeAdmins;
	readonly #updateKeepingAnAdmin;

	constructor(db: Database.Database) {
		this.#db = db;
		this.#insert = db.prepare<[string, string, string, string, string, string, number, string | null, number]>(
			`INSERT INTO users (id, clinic_id, email, name, role, password_hash, active, practitioner_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
		);
		this.#byId = db.prepare<[string], Row>('SELECT * FROM users WHERE id = ?');
		this.#byEmail = db.prepare<[string], Row>('SELECT * FROM users WHERE email = ?');
		this.#byClinic = db.prepare<[string], Row>('SELECT * FROM users WHERE clinic_id = ? ORDER BY name, email');
		this.#activeAdmins = db
			.prepare<[string], number>("SELECT count(*) FROM users WHERE clinic_id = ? AND role = 'admin' AND active = 1")
			.pluck();
		this.#updateKeepingAnAdmin = db.transaction((id: string, change: UserChange): 'ok' | 'not-found' | 'no-admin-left' => {
			const user = this.#byId.get(id);
			if (!user) return 'not-found';
			const before = this.#activeAdmins.get(user.clinic_id) ?? 0;
			this.#update(id, change);
			if (before > 0 && this.#activeAdmins.get(user.clinic_id) === 0) throw new NoAdminLeft();
			return 'ok';
		});
	}

	async insert(u: UserRow) {
		this.#insert.run(u.id, u.clinicId, u.email, u.name, u.role, u.passwordHash, u.active ? 1 : 0, u.practitionerId, u.createdAt);
	}

	async getById(id: string) {
		const r = this.#byId.get(id);
		return r ? toUser(r) : null;
	}

	async getByEmail(email: string) {
		const r = this.#byEmail.get(email);
		return r ? toUser(r) : null;
	}

	async listForClinic(clinicId: string) {
		return this.#byClinic.all(clinicId).map(toUser);
	}

	async update(id: string, change: UserChange) {
		return this.#update(id, change);
	}

	async updateKeepingAnAdmin(id: string, change: UserChange) {
		try {
			return this.#updateKeepingAnAdmin.immediate(id, change);
		} catch (error) {
			if (error instanceof NoAdminLeft) return 'no-admin-left' as const;
			throw error;
		}
	}

	#update(id: string, change: UserChange): boolean {
		const keys = (Object.keys(change) as (keyof UserChange)[]).filter((k) => change[k] !== undefined);
		if (keys.length === 0) return this.#byId.get(id) !== undefined;
		const values = keys.map((k) => {
			const v = change[k];
			return typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? null);
		});
		// Column names come from the fixed map above, never from input.
		const sql = `UPDATE users SET ${keys.map((k) => `${COLUMNS[k]} = ?`).join(', ')} WHERE id = ?`;
		return this.#db.prepare(sql).run(...values, id).changes > 0;
	}
}

/** Rolls the transaction back: the change would leave a clinic without an active admin. */
class NoAdminLeft extends Error {}
