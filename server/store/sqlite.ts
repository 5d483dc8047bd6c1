import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { migrations } from './migrations.ts';
import type { ClinicRow, DocRecord, SessionRow, Store, TicketRow, UserRow } from './types.ts';

type Row = Record<string, unknown>;

const toUser = (r: Row): UserRow => ({
	id: r.id as string,
	clinicId: r.clinic_id as string,
	email: r.email as string,
	name: r.name as string,
	role: r.role as UserRow['role'],
	passwordHash: r.password_hash as string,
	createdAt: r.created_at as number
});

const toSession = (r: Row): SessionRow => ({
	id: r.id as string,
	userId: r.user_id as string,
	createdAt: r.created_at as number,
	expiresAt: r.expires_at as number,
	lastSeenAt: r.last_seen_at as number,
	ip: (r.ip as string | null) ?? null,
	userAgent: (r.user_agent as string | null) ?? null
});

const toRecord = (r: Row): DocRecord => ({
	docName: r.doc_name as string,
	clinicId: r.clinic_id as string,
	seq: r.seq as number,
	kind: r.kind as DocRecord['kind'],
	data: r.data as Buffer
});

/**
 * The embedded store: one SQLite file in WAL mode under DATA_DIR. synchronous=FULL makes each commit
 * durable on disk; the sync server batches updates so many share one commit.
 */
export class SqliteStore implements Store {
	readonly #db: Database.Database;
	readonly #stmt;

	constructor(file: string) {
		fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
		this.#db = new Database(file);
		// Readable by the server's user only; SQLite gives the -wal and -shm files the same mode.
		fs.chmodSync(file, 0o600);
		this.#db.pragma('journal_mode = WAL');
		this.#db.pragma('synchronous = FULL');
		this.#db.pragma('foreign_keys = ON');
		this.#db.pragma('busy_timeout = 5000');
		migrate(this.#db);
		const db = this.#db;
		this.#stmt = {
			getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
			setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
			insertClinic: db.prepare('INSERT INTO clinics (id, name, wrapped_key, created_at) VALUES (?, ?, ?, ?)'),
			getClinic: db.prepare('SELECT id, name, created_at FROM clinics WHERE id = ?'),
			countClinics: db.prepare('SELECT count(*) AS n FROM clinics'),
			getWrappedKey: db.prepare('SELECT wrapped_key FROM clinics WHERE id = ?'),
			insertUser: db.prepare(
				'INSERT INTO users (id, clinic_id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'
			),
			getUserById: db.prepare('SELECT * FROM users WHERE id = ?'),
			getUserByEmail: db.prepare('SELECT * FROM users WHERE email = ?'),
			insertSession: db.prepare(
				'INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)'
			),
			getSession: db.prepare('SELECT * FROM sessions WHERE id = ?'),
			touchSession: db.prepare('UPDATE sessions SET expires_at = ?, last_seen_at = ? WHERE id = ?'),
			deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
			listSessions: db.prepare('SELECT * FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC'),
			deleteExpiredSessions: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
			insertTicket: db.prepare('INSERT INTO sync_tickets (id, session_id, doc_name, expires_at) VALUES (?, ?, ?, ?)'),
			takeTicket: db.prepare('DELETE FROM sync_tickets WHERE id = ? RETURNING *'),
			deleteExpiredTickets: db.prepare('DELETE FROM sync_tickets WHERE expires_at <= ?'),
			loadDocRecords: db.prepare('SELECT * FROM doc_records WHERE doc_name = ? ORDER BY seq'),
			appendDocRecord: db.prepare('INSERT INTO doc_records (doc_name, seq, clinic_id, kind, data) VALUES (?, ?, ?, ?, ?)'),
			deleteDocRecordsUpTo: db.prepare('DELETE FROM doc_records WHERE doc_name = ? AND seq <= ?'),
			clinicUsage: db.prepare(
				'SELECT count(DISTINCT doc_name) AS docs, coalesce(sum(length(data)), 0) AS bytes FROM doc_records WHERE clinic_id = ?'
			)
		};
	}

	async getMeta(key: string) {
		const row = this.#stmt.getMeta.get(key) as Row | undefined;
		return row ? (row.value as Buffer) : null;
	}
	async setMeta(key: string, value: Buffer) {
		this.#stmt.setMeta.run(key, value);
	}

	async insertClinic(row: ClinicRow, wrappedKey: Buffer) {
		this.#stmt.insertClinic.run(row.id, row.name, wrappedKey, row.createdAt);
	}
	async getClinic(id: string) {
		const r = this.#stmt.getClinic.get(id) as Row | undefined;
		return r ? { id: r.id as string, name: r.name as string, createdAt: r.created_at as number } : null;
	}
	async countClinics() {
		return (this.#stmt.countClinics.get() as { n: number }).n;
	}
	async getWrappedKey(clinicId: string) {
		const r = this.#stmt.getWrappedKey.get(clinicId) as Row | undefined;
		return r?.wrapped_key ? (r.wrapped_key as Buffer) : null;
	}

	async insertUser(u: UserRow) {
		this.#stmt.insertUser.run(u.id, u.clinicId, u.email, u.name, u.role, u.passwordHash, u.createdAt);
	}
	async getUserById(id: string) {
		const r = this.#stmt.getUserById.get(id) as Row | undefined;
		return r ? toUser(r) : null;
	}
	async getUserByEmail(email: string) {
		const r = this.#stmt.getUserByEmail.get(email) as Row | undefined;
		return r ? toUser(r) : null;
	}

	async insertSession(s: SessionRow) {
		this.#stmt.insertSession.run(s.id, s.userId, s.createdAt, s.expiresAt, s.lastSeenAt, s.ip, s.userAgent);
	}
	async getSession(id: string) {
		const r = this.#stmt.getSession.get(id) as Row | undefined;
		return r ? toSession(r) : null;
	}
	async touchSession(id: string, expiresAt: number, lastSeenAt: number) {
		this.#stmt.touchSession.run(expiresAt, lastSeenAt, id);
	}
	async deleteSession(id: string) {
		return this.#stmt.deleteSession.run(id).changes > 0;
	}
	async listSessions(userId: string) {
		return (this.#stmt.listSessions.all(userId) as Row[]).map(toSession);
	}
	async liveSessionIds(ids: string[], now: number) {
		const live = new Set<string>();
		for (const id of ids) {
			const r = this.#stmt.getSession.get(id) as Row | undefined;
			if (r && (r.expires_at as number) > now) live.add(id);
		}
		return live;
	}
	async deleteExpiredSessions(now: number) {
		return this.#stmt.deleteExpiredSessions.run(now).changes;
	}

	async insertTicket(t: TicketRow) {
		this.#stmt.insertTicket.run(t.id, t.sessionId, t.docName, t.expiresAt);
	}
	async takeTicket(id: string) {
		const r = this.#stmt.takeTicket.get(id) as Row | undefined;
		return r
			? {
					id: r.id as string,
					sessionId: r.session_id as string,
					docName: r.doc_name as string,
					expiresAt: r.expires_at as number
				}
			: null;
	}

	async deleteExpiredTickets(now: number) {
		return this.#stmt.deleteExpiredTickets.run(now).changes;
	}

	async loadDocRecords(docName: string) {
		return (this.#stmt.loadDocRecords.all(docName) as Row[]).map(toRecord);
	}
	readonly #append = (records: DocRecord[]) => {
		for (const r of records) this.#stmt.appendDocRecord.run(r.docName, r.seq, r.clinicId, r.kind, r.data);
	};
	async appendDocRecords(records: DocRecord[]) {
		if (records.length === 0) return;
		this.#db.transaction(this.#append)(records);
	}
	async compactDoc(snapshot: DocRecord) {
		this.#db.transaction(() => {
			this.#stmt.deleteDocRecordsUpTo.run(snapshot.docName, snapshot.seq);
			this.#stmt.appendDocRecord.run(snapshot.docName, snapshot.seq, snapshot.clinicId, 'snapshot', snapshot.data);
		})();
	}

	async clinicUsage(clinicId: string) {
		const r = this.#stmt.clinicUsage.get(clinicId) as { docs: number; bytes: number };
		return { docs: r.docs, bytes: r.bytes };
	}

	async close() {
		if (this.#db.open) {
			this.#db.pragma('wal_checkpoint(TRUNCATE)');
			this.#db.close();
		}
	}
}

function migrate(db: Database.Database): void {
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
