import type Database from 'better-sqlite3';
import { migrations } from './migrations.ts';

/** Brings the schema to this build's version; refuses a database written by a newer build. */
export function migrate(db: Database.Database): void {
	db.exec(
		'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)'
	);
	const applied = new Set(
		(db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version)
	);
	const latest = Math.max(0, ...applied);
	const known = Math.max(...migrations.map((m) => m.version));
	if (latest > known) throw new Error(`the database has schema version ${latest}, newer than this build knows (${known})`);
	for (const m of migrations) {
		if (applied.has(m.version)) continue;
		db.transaction(() => {
			db.exec(m.sql);
			db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
		})();
	}
}
