import type Database from 'better-sqlite3';
import type { ClinicRepository, ClinicRow } from '../clinics.ts';

export class SqliteClinics implements ClinicRepository {
	readonly #insert;
	readonly #get;
	readonly #count;
	readonly #wrappedKey;
	readonly #list;
	readonly #rename;

	constructor(db: Database.Database) {
		this.#insert = db.prepare<[string, string, Buffer, number]>(
			'INSERT INTO clinics (id, name, wrapped_key, created_at) VALUES (?, ?, ?, ?)'
		);
		this.#get = db.prepare<[string], { id: string; name: string; created_at: number }>(
			'SELECT id, name, created_at FROM clinics WHERE id = ?'
		);
		this.#count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM clinics');
		this.#list = db.prepare<[], { id: string; name: string; created_at: number }>(
			'SELECT id, name, created_at FROM clinics ORDER BY created_at, id'
		);
		this.#rename = db.prepare<[string, string]>('UPDATE clinics SET name = ? WHERE id = ?');
		this.#wrappedKey = db.prepare<[string], { wrapped_key: Buffer | null }>('SELECT wrapped_key FROM clinics WHERE id = ?');
	}

	async insert(row: ClinicRow, wrappedKey: Buffer) {
		this.#insert.run(row.id, row.name, wrappedKey, row.createdAt);
	}

	async get(id: string) {
		const r = this.#get.get(id);
		return r ? { id: r.id, name: r.name, createdAt: r.created_at } : null;
	}

	async count() {
		return this.#count.get()?.n ?? 0;
	}

	async list() {
		return this.#list.all().map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
	}

	async rename(id: string, name: string) {
		return this.#rename.run(name, id).changes > 0;
	}

	async getWrappedKey(clinicId: string) {
		return this.#wrappedKey.get(clinicId)?.wrapped_key ?? null;
	}
}
