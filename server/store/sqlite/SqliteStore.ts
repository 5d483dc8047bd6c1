import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../types.ts';
import { SqliteCalendar } from './calendar.ts';
import { SqliteReminders } from './reminders.ts';
import { SqliteChannelAccounts, SqliteInboundJournal, SqliteInboundMessages, SqliteMedia, SqliteOutbox } from './channels.ts';
import { SqliteClinics } from './clinics.ts';
import { SqliteDocs } from './docs.ts';
import { SqliteInvitations } from './invitations.ts';
import { SqliteMeta } from './meta.ts';
import { migrate } from './migrate.ts';
import { SqliteSessions } from './sessions.ts';
import { SqliteTickets } from './tickets.ts';
import { SqliteUsers } from './users.ts';

/**
 * The embedded store: one SQLite file in WAL mode under DATA_DIR. synchronous=FULL makes each commit
 * durable on disk; the sync server batches updates so many share one commit.
 */
export class SqliteStore implements Store {
	readonly meta;
	readonly clinics;
	readonly users;
	readonly sessions;
	readonly tickets;
	readonly invitations;
	readonly docs;
	readonly channelAccounts;
	readonly inboundMessages;
	readonly inboundJournal;
	readonly outbox;
	readonly media;
	readonly reminders;
	readonly calendar;
	readonly #db: Database.Database;

	constructor(file: string) {
		fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
		this.#db = new Database(file);
		// Readable by the server's user only; SQLite gives the -wal and -shm files the same mode.
		fs.chmodSync(file, 0o600);
		this.#db.pragma('journal_mode = WAL');
		this.#db.pragma('synchronous = FULL');
		// A checkpoint runs inside the commit that crosses the limit and blocks the event loop while it copies pages
		// into the database and fsyncs it; ten times SQLite's default (about 40 MB of WAL) copies a page rewritten by
		// many commits once instead of many times (measured: a fifth off each group commit of the webhook ingest).
		// Durability is the WAL's fsync per commit, unchanged.
		this.#db.pragma('wal_autocheckpoint = 10000');
		this.#db.pragma('foreign_keys = ON');
		this.#db.pragma('busy_timeout = 5000');
		migrate(this.#db);
		this.meta = new SqliteMeta(this.#db);
		this.clinics = new SqliteClinics(this.#db);
		this.users = new SqliteUsers(this.#db);
		this.sessions = new SqliteSessions(this.#db);
		this.tickets = new SqliteTickets(this.#db);
		this.invitations = new SqliteInvitations(this.#db);
		this.docs = new SqliteDocs(this.#db);
		this.channelAccounts = new SqliteChannelAccounts(this.#db);
		this.inboundMessages = new SqliteInboundMessages(this.#db);
		this.inboundJournal = new SqliteInboundJournal(this.#db);
		this.outbox = new SqliteOutbox(this.#db);
		this.media = new SqliteMedia(this.#db);
		this.reminders = new SqliteReminders(this.#db);
		this.calendar = new SqliteCalendar(this.#db);
	}

	async close() {
		if (this.#db.open) {
			this.#db.pragma('wal_checkpoint(TRUNCATE)');
			this.#db.close();
		}
	}
}
