import type Database from 'better-sqlite3';
import type { MetaRepository } from '../meta.ts';

export class SqliteMeta implements MetaRepository {
	readonly #get;
	readonly #set;
	readonly #delete;

	constructor(db: Database.Database) {
		this.#get = db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE key = ?');
		this.#set = db.prepare<[string, Buffer]>(
			'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'
		);
		this.#delete = db.prepare<[string]>('DELETE FROM meta WHERE key = ?');
	}

	async delete(key: string) {
		this.#delete.run(key);
	}

	async get(key: string) {
		return this.#get.get(key)?.value ?? null;
	}

	async set(key: string, value: Buffer) {
		this.#set.run(key, value);
	}
}
