/**
 * SQLite's versioned schema migrations, applied in order at start inside one transaction each (each dialect
 * has its own list, the same versions and tables). Never edit a shipped migration: add the next one.
 */
export interface Migration {
	version: number;
	name: string;
	sql: string;
}

export const migrations: Migration[] = [
	{
		version: 1,
		name: 'clinics, staff, sessions, tickets, doc log',
		sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE clinics (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	wrapped_key BLOB,
	created_at INTEGER NOT NULL
);
CREATE TABLE users (
	id TEXT PRIMARY KEY,
	clinic_id TEXT NOT NULL REFERENCES clinics(id),
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('admin', 'practitioner', 'reception')),
	password_hash TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX users_clinic ON users(clinic_id);
CREATE TABLE sessions (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	ip TEXT,
	user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE sync_tickets (
	id TEXT PRIMARY KEY,
	session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	doc_name TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE TABLE doc_records (
	doc_name TEXT NOT NULL,
	seq INTEGER NOT NULL,
	clinic_id TEXT NOT NULL REFERENCES clinics(id),
	kind TEXT NOT NULL CHECK (kind IN ('update', 'snapshot')),
	data BLOB NOT NULL,
	PRIMARY KEY (doc_name, seq)
) WITHOUT ROWID;
`
	},
	{
		version: 2,
		name: 'per-clinic usage and ticket sweep indexes',
		sql: `
CREATE INDEX doc_records_clinic ON doc_records(clinic_id, doc_name);
CREATE INDEX sync_tickets_expiry ON sync_tickets(expires_at);
`
	},
	{
		version: 3,
		name: 'who wrote each stored update',
		// Written with the record it belongs to and deleted with it by the docs repository (a compaction deletes the
		// records it folds in), so a writer row never outlives its update. No foreign key: it is checked on every
		// insert of the hot path, and the repository is the only writer of both tables. A record holds what a doc's
		// sockets and the server wrote between two commits, so it may have several writers, each once (the one
		// index serves both that rule and the deletion by doc and sequence). No link to users: a user's erasure must
		// not rewrite doc history.
		sql: `
CREATE TABLE doc_update_writers (
	doc_name TEXT NOT NULL,
	seq INTEGER NOT NULL,
	source TEXT NOT NULL CHECK (source IN ('connection', 'channel', 'google', 'job')),
	user_id TEXT,
	session_id TEXT
);
CREATE UNIQUE INDEX doc_update_writers_once ON doc_update_writers(doc_name, seq, source, coalesce(user_id, ''), coalesce(session_id, ''));
`
	},
	{
		version: 4,
		name: 'writers kept on their record',
		// A separate table cost every commit two more B-tree pages written to the WAL and fsynced (measured: about a
		// sixth of the relay's server time at one update per second per client). On the record, the writers are
		// written, folded by a compaction and deleted with it for nothing more; still ids only, as a JSON array the
		// repository writes (json_each reads it for audit).
		sql: `
ALTER TABLE doc_records ADD COLUMN writers TEXT;
UPDATE doc_records SET writers = (
	SELECT json_group_array(json_object('source', w.source, 'userId', w.user_id, 'sessionId', w.session_id))
	FROM doc_update_writers w WHERE w.doc_name = doc_records.doc_name AND w.seq = doc_records.seq
) WHERE EXISTS (SELECT 1 FROM doc_update_writers w WHERE w.doc_name = doc_records.doc_name AND w.seq = doc_records.seq);
DROP TABLE doc_update_writers;
DROP INDEX doc_records_clinic;
`
	},
	{
		version: 5,
		name: 'staff administration: active users, practitioner link, invitations',
		// An invited user's password_hash is '' until they choose one: no password verifies against it.
		sql: `
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE users ADD COLUMN practitioner_id TEXT;
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
CREATE TABLE invitations (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_by TEXT,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX invitations_user ON invitations(user_id);
`
	},
	{
		version: 6,
		name: 'channels: accounts, inbound message ids, outbox marks and claims, media',
		// channel_inbound and outbox_pending are side rows of doc updates (written in the update's savepoint); they
		// outlive a compaction on purpose: a message id must stay known after its record is folded into a snapshot.
		// Tokens and media are sealed with the clinic's data key before they reach this file.
		sql: `
CREATE TABLE channel_accounts (
	provider TEXT NOT NULL CHECK (provider IN ('whatsapp', 'instagram', 'phone')),
	external_id TEXT NOT NULL,
	clinic_id TEXT NOT NULL REFERENCES clinics(id),
	sealed_token BLOB,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (provider, external_id)
) WITHOUT ROWID;
CREATE INDEX channel_accounts_clinic ON channel_accounts(clinic_id);
CREATE TABLE channel_inbound (
	provider TEXT NOT NULL,
	message_id TEXT NOT NULL,
	doc_name TEXT NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (provider, message_id)
) WITHOUT ROWID;
CREATE TABLE outbox_pending (
	doc_name TEXT PRIMARY KEY,
	clinic_id TEXT NOT NULL,
	mark INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE outbox_claims (
	doc_name TEXT NOT NULL,
	entry_id TEXT NOT NULL,
	attempt INTEGER NOT NULL,
	owner TEXT NOT NULL,
	claimed_at INTEGER NOT NULL,
	outcome TEXT CHECK (outcome IN ('sent', 'failed')),
	provider_message_id TEXT,
	error_code TEXT,
	error_message TEXT,
	PRIMARY KEY (doc_name, entry_id, attempt)
) WITHOUT ROWID;
CREATE INDEX outbox_claims_provider_id ON outbox_claims(provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE TABLE media_jobs (
	doc_name TEXT NOT NULL,
	entry_id TEXT NOT NULL,
	clinic_id TEXT NOT NULL REFERENCES clinics(id),
	provider TEXT NOT NULL,
	account_id TEXT NOT NULL,
	source TEXT NOT NULL,
	kind TEXT NOT NULL,
	mime TEXT NOT NULL,
	filename TEXT,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (doc_name, entry_id)
) WITHOUT ROWID;
CREATE TABLE media (
	id TEXT PRIMARY KEY,
	clinic_id TEXT NOT NULL REFERENCES clinics(id),
	mime TEXT NOT NULL,
	bytes INTEGER NOT NULL,
	filename TEXT,
	data BLOB NOT NULL,
	created_at INTEGER NOT NULL
);
`
	},
	{
		version: 7,
		name: 'inbound journal: webhook events durable before they are written into docs',
		// A row leaves the journal in the savepoint of the thread update that wrote its event (a side row), so an
		// event is always in exactly one of the journal and channel_inbound. thread_id and contact_id are set in the
		// savepoint of the inbox update: a replay after a crash between the two writes does not count it twice.
		// data is the event sealed with the clinic's data key; failed_at marks one the domain refused (kept, not retried).
		sql: `
CREATE TABLE inbound_journal (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	provider TEXT NOT NULL,
	message_id TEXT NOT NULL,
	clinic_id TEXT NOT NULL REFERENCES clinics(id),
	data BLOB NOT NULL,
	received_at INTEGER NOT NULL,
	thread_id TEXT,
	contact_id TEXT,
	failed_at INTEGER,
	UNIQUE (provider, message_id)
);
`
	},
	{
		version: 8,
		name: 'reminder claims: each reminder of an appointment sent at most once',
		// Keyed by the appointment's start too: a moved appointment is reminded of its new time. Ids only, no
		// patient data: what was sent is in the (sealed) thread doc.
		sql: `
CREATE TABLE reminder_claims (
	clinic_id TEXT NOT NULL REFERENCES clinics(id),
	appointment_id TEXT NOT NULL,
	rule_id TEXT NOT NULL,
	start TEXT NOT NULL,
	contact_id TEXT NOT NULL,
	month TEXT NOT NULL,
	claimed_at INTEGER NOT NULL,
	thread_doc TEXT,
	entry_id TEXT,
	sent_at INTEGER,
	skipped TEXT,
	PRIMARY KEY (clinic_id, appointment_id, rule_id, start)
) WITHOUT ROWID;
CREATE INDEX reminder_claims_contact ON reminder_claims(clinic_id, contact_id, sent_at);
`
	},
	{
		version: 9,
		name: "Google Calendar: practitioners' calendars and the events the book knows in them",
		// Ids, times and Google's opaque tokens only: the refresh token is sealed, the push channel's token hashed, and
		// nothing of an event's content is kept here.
		sql: `
CREATE TABLE calendar_links (
	clinic_id TEXT NOT NULL REFERENCES clinics(id),
	practitioner_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	calendar_id TEXT NOT NULL,
	sealed_refresh_token BLOB NOT NULL,
	sync_token TEXT,
	channel TEXT,
	channel_id TEXT UNIQUE,
	retry_at INTEGER NOT NULL DEFAULT 0,
	failures INTEGER NOT NULL DEFAULT 0,
	last_error TEXT,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (clinic_id, practitioner_id)
) WITHOUT ROWID;
CREATE TABLE calendar_events (
	clinic_id TEXT NOT NULL REFERENCES clinics(id),
	practitioner_id TEXT NOT NULL,
	event_id TEXT NOT NULL,
	appointment_id TEXT,
	months TEXT NOT NULL,
	etag TEXT,
	fingerprint TEXT,
	PRIMARY KEY (clinic_id, practitioner_id, event_id)
) WITHOUT ROWID;
CREATE INDEX calendar_events_appointment ON calendar_events(clinic_id, appointment_id);
`
	},
	{
		version: 10,
		name: "Google Calendar: the connected calendar's name",
		// Google's name of the calendar (its summary), for the settings screen: null until known (links made before,
		// or by the admin CLI, get it at the server's next listing).
		sql: `
ALTER TABLE calendar_links ADD COLUMN calendar_name TEXT;
`
	}
];
