import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../server/store/index.ts';
import { migrations } from '../../server/store/sqlite/migrations.ts';
import { storeContract } from '../contract/store.contract.ts';

const folders = new WeakMap<Store, string>();

function fresh(): Promise<Store> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-store-'));
	const store = openStore(dir);
	folders.set(store, dir);
	return Promise.resolve(store);
}

/** A second connection on the same file: what a second process holds. */
function sameDatabase(store: Store): Promise<Store> {
	const dir = folders.get(store);
	if (!dir) throw new Error('not a store of this test');
	return Promise.resolve(openStore(dir));
}

storeContract('SQLite', fresh, sameDatabase);

describe('SQLite schema', () => {
	it('opens a database written by the shipped schema (versions 1 and 2) unchanged, and appends after its records', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-store-old-'));
		const db = new Database(path.join(dir, 'frontdesk.db'));
		db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
		for (const m of migrations.filter((m) => m.version <= 2)) {
			db.exec(m.sql);
			db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, 0);
		}
		db.prepare("INSERT INTO clinics (id, name, wrapped_key, created_at) VALUES ('c1', 'Clinic', x'00', 0)").run();
		db.prepare(
			"INSERT INTO doc_records (doc_name, seq, clinic_id, kind, data) VALUES ('c1/inbox', 7, 'c1', 'snapshot', x'01')"
		).run();
		db.close();

		const store = openStore(dir);
		try {
			expect((await store.docs.load('c1/inbox')).map((r) => [r.seq, r.kind])).toEqual([[7, 'snapshot']]);
			const [result] = await store.docs.append([
				{
					docName: 'c1/inbox',
					clinicId: 'c1',
					updates: [{ update: Buffer.from('a'), rows: [{ kind: 'writer', source: 'job', userId: null, sessionId: null }] }],
					seal: (_seq, update) => Buffer.from(update)
				}
			]);
			expect(result).toEqual({ ok: true, seqs: [8] });
			expect(await store.docs.writers('c1/inbox')).toEqual([{ seq: 8, source: 'job', userId: null, sessionId: null }]);
		} finally {
			await store.close();
		}
	});
});

describe('SQLite migration 4', () => {
	it('moves the writers of a version 3 database onto their records, and a compaction still folds them', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-store-v3-'));
		const db = new Database(path.join(dir, 'frontdesk.db'));
		db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
		for (const m of migrations.filter((m) => m.version <= 3)) {
			db.exec(m.sql);
			db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, 0);
		}
		db.prepare("INSERT INTO clinics (id, name, wrapped_key, created_at) VALUES ('c1', 'Clinic', x'00', 0)").run();
		const record = db.prepare(
			"INSERT INTO doc_records (doc_name, seq, clinic_id, kind, data) VALUES ('c1/inbox', ?, 'c1', 'update', x'01')"
		);
		const writer = db.prepare(
			"INSERT INTO doc_update_writers (doc_name, seq, source, user_id, session_id) VALUES ('c1/inbox', ?, ?, ?, ?)"
		);
		record.run(1);
		record.run(2);
		record.run(3);
		writer.run(1, 'connection', 'u1', 's1');
		writer.run(1, 'job', null, null);
		writer.run(3, 'channel', null, null);
		db.close();

		const store = openStore(dir);
		try {
			expect(await store.docs.writers('c1/inbox')).toEqual([
				{ seq: 1, source: 'connection', userId: 'u1', sessionId: 's1' },
				{ seq: 1, source: 'job', userId: null, sessionId: null },
				{ seq: 3, source: 'channel', userId: null, sessionId: null }
			]);
			await store.docs.compact({ docName: 'c1/inbox', clinicId: 'c1', seq: 2, kind: 'snapshot', data: Buffer.from([1]) });
			expect(await store.docs.writers('c1/inbox')).toEqual([{ seq: 3, source: 'channel', userId: null, sessionId: null }]);
		} finally {
			await store.close();
		}
		const after = new Database(path.join(dir, 'frontdesk.db'), { readonly: true });
		const tables = after.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'doc_update_writers'").all();
		after.close();
		expect(tables).toEqual([]);
	});
});

describe('SQLite migration 10', () => {
	it('SCHEDULE-GOOGLE-1: a calendar link of a version 9 database keeps everything and has no name until one is given', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-store-v9-'));
		const db = new Database(path.join(dir, 'frontdesk.db'));
		db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
		for (const m of migrations.filter((m) => m.version <= 9)) {
			db.exec(m.sql);
			db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, 0);
		}
		db.prepare("INSERT INTO clinics (id, name, wrapped_key, created_at) VALUES ('c1', 'Clinic', x'00', 0)").run();
		db.prepare(
			`INSERT INTO calendar_links (clinic_id, practitioner_id, user_id, calendar_id, sealed_refresh_token, sync_token, created_at)
			VALUES ('c1', 'p1', 'u1', 'abc123@group.calendar.google.com', x'01', 'tok', 5)`
		).run();
		db.close();

		const store = openStore(dir);
		try {
			expect(await store.calendar.link('c1', 'p1')).toMatchObject({
				calendarId: 'abc123@group.calendar.google.com',
				calendarName: null,
				syncToken: 'tok',
				createdAt: 5
			});
			expect(
				await store.calendar.update({ clinicId: 'c1', practitionerId: 'p1', createdAt: 5 }, { calendarName: 'Muayene' })
			).toBe(true);
			expect((await store.calendar.link('c1', 'p1'))?.calendarName).toBe('Muayene');
		} finally {
			await store.close();
		}
	});
});
