import type Database from 'better-sqlite3';
import type {
	ChannelAccountRepository,
	ChannelAccountRow,
	ChannelProvider,
	ClaimKey,
	ClaimOutcome,
	ClaimRow,
	InboundJournalRepository,
	InboundMessageRepository,
	JournalAppend,
	JournalRow,
	MediaJobRow,
	MediaRepository,
	MediaRow,
	OutboxRepository
} from '../channels.ts';

interface AccountRow {
	provider: ChannelProvider;
	external_id: string;
	clinic_id: string;
	sealed_token: Buffer | null;
	created_at: number;
}

const account = (r: AccountRow): ChannelAccountRow => ({
	provider: r.provider,
	externalId: r.external_id,
	clinicId: r.clinic_id,
	sealedToken: r.sealed_token,
	createdAt: r.created_at
});

export class SqliteChannelAccounts implements ChannelAccountRepository {
	readonly #connect;
	readonly #find;
	readonly #list;
	readonly #disconnect;

	constructor(db: Database.Database) {
		// The conflict updates only the same clinic's row: another clinic's account is left as it is (no change).
		this.#connect = db.prepare<[string, string, string, Buffer | null, number]>(
			`INSERT INTO channel_accounts (provider, external_id, clinic_id, sealed_token, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (provider, external_id) DO UPDATE SET sealed_token = excluded.sealed_token
			WHERE channel_accounts.clinic_id = excluded.clinic_id`
		);
		this.#find = db.prepare<[string, string], AccountRow>(
			'SELECT * FROM channel_accounts WHERE provider = ? AND external_id = ?'
		);
		this.#list = db.prepare<[string], AccountRow>(
			'SELECT * FROM channel_accounts WHERE clinic_id = ? ORDER BY created_at, external_id'
		);
		this.#disconnect = db.prepare<[string, string, string]>(
			'DELETE FROM channel_accounts WHERE clinic_id = ? AND provider = ? AND external_id = ?'
		);
	}

	async connect(row: ChannelAccountRow) {
		return this.#connect.run(row.provider, row.externalId, row.clinicId, row.sealedToken, row.createdAt).changes > 0;
	}

	async find(provider: ChannelProvider, externalId: string) {
		const r = this.#find.get(provider, externalId);
		return r ? account(r) : null;
	}

	async listForClinic(clinicId: string) {
		return this.#list.all(clinicId).map(account);
	}

	async disconnect(clinicId: string, provider: ChannelProvider, externalId: string) {
		return this.#disconnect.run(clinicId, provider, externalId).changes > 0;
	}
}

export class SqliteInboundMessages implements InboundMessageRepository {
	readonly #seen;

	constructor(db: Database.Database) {
		this.#seen = db.prepare<[string, string], { one: number }>(
			'SELECT 1 AS one FROM channel_inbound WHERE provider = ? AND message_id = ?'
		);
	}

	async seen(provider: string, messageId: string) {
		return this.#seen.get(provider, messageId) !== undefined;
	}
}

interface JournalTableRow {
	seq: number;
	provider: string;
	message_id: string;
	clinic_id: string;
	data: Buffer;
	received_at: number;
	thread_id: string | null;
	contact_id: string | null;
}

export class SqliteInboundJournal implements InboundJournalRepository {
	readonly #append;
	readonly #pending;
	readonly #fail;
	readonly #backlog;

	constructor(db: Database.Database) {
		// A provider id already journaled (the unique key) or already written into a thread is a duplicate: no row.
		const insert = db.prepare<[string, string, string, Buffer, number, string, string]>(
			`INSERT INTO inbound_journal (provider, message_id, clinic_id, data, received_at)
			SELECT ?, ?, ?, ?, ?
			WHERE NOT EXISTS (SELECT 1 FROM channel_inbound WHERE provider = ? AND message_id = ?)
			ON CONFLICT (provider, message_id) DO NOTHING`
		);
		this.#append = db.transaction((events: readonly JournalAppend[]) =>
			events.map((e) => {
				const r = insert.run(e.provider, e.messageId, e.clinicId, e.data, e.receivedAt, e.provider, e.messageId);
				return r.changes > 0 ? Number(r.lastInsertRowid) : null;
			})
		);
		this.#pending = db.prepare<[number, number], JournalTableRow>(
			'SELECT * FROM inbound_journal WHERE seq > ? AND failed_at IS NULL ORDER BY seq LIMIT ?'
		);
		this.#fail = db.prepare<[number, number]>('UPDATE inbound_journal SET failed_at = ? WHERE seq = ?');
		this.#backlog = db.prepare<[], number>('SELECT count(*) FROM inbound_journal WHERE failed_at IS NULL').pluck();
	}

	async append(events: readonly JournalAppend[]) {
		if (events.length === 0) return [];
		return this.#append.immediate(events);
	}

	async pending(afterSeq: number, limit: number) {
		return this.#pending.all(afterSeq, limit).map((r): JournalRow => ({
			seq: r.seq,
			provider: r.provider,
			messageId: r.message_id,
			clinicId: r.clinic_id,
			data: r.data,
			receivedAt: r.received_at,
			threadId: r.thread_id,
			contactId: r.contact_id
		}));
	}

	async fail(seq: number, at: number) {
		this.#fail.run(at, seq);
	}

	async backlog() {
		return this.#backlog.get() ?? 0;
	}
}

interface ClaimTableRow {
	doc_name: string;
	entry_id: string;
	attempt: number;
	owner: string;
	claimed_at: number;
	outcome: 'sent' | 'failed' | null;
	provider_message_id: string | null;
	error_code: string | null;
	error_message: string | null;
}

function outcomeOf(r: ClaimTableRow): ClaimOutcome | null {
	if (r.outcome === 'sent') return { status: 'sent', providerMessageId: r.provider_message_id ?? '' };
	if (r.outcome === 'failed') return { status: 'failed', code: r.error_code ?? 'unknown', message: r.error_message ?? '' };
	return null;
}

export class SqliteOutbox implements OutboxRepository {
	readonly #pending;
	readonly #clear;
	readonly #claim;
	readonly #getClaim;
	readonly #finish;
	readonly #release;
	readonly #docOfSent;

	constructor(db: Database.Database) {
		this.#docOfSent = db.prepare<[string], { doc_name: string; entry_id: string }>(
			'SELECT doc_name, entry_id FROM outbox_claims WHERE provider_message_id = ? LIMIT 1'
		);
		this.#pending = db.prepare<[], { doc_name: string; clinic_id: string; mark: number }>(
			'SELECT doc_name, clinic_id, mark FROM outbox_pending ORDER BY doc_name'
		);
		this.#clear = db.prepare<[string, number]>('DELETE FROM outbox_pending WHERE doc_name = ? AND mark = ?');
		this.#claim = db.prepare<[string, string, number, string, number]>(
			'INSERT INTO outbox_claims (doc_name, entry_id, attempt, owner, claimed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'
		);
		this.#getClaim = db.prepare<[string, string, number], ClaimTableRow>(
			'SELECT * FROM outbox_claims WHERE doc_name = ? AND entry_id = ? AND attempt = ?'
		);
		this.#finish = db.prepare<[string, string | null, string | null, string | null, string, string, number]>(
			`UPDATE outbox_claims SET outcome = ?, provider_message_id = ?, error_code = ?, error_message = ?
			WHERE doc_name = ? AND entry_id = ? AND attempt = ?`
		);
		this.#release = db.prepare<[string, string, number]>(
			'DELETE FROM outbox_claims WHERE doc_name = ? AND entry_id = ? AND attempt = ? AND outcome IS NULL'
		);
	}

	async pending() {
		return this.#pending.all().map((r) => ({ docName: r.doc_name, clinicId: r.clinic_id, mark: r.mark }));
	}

	async clear(docName: string, mark: number) {
		return this.#clear.run(docName, mark).changes > 0;
	}

	async claim(key: ClaimKey, owner: string, at: number) {
		return this.#claim.run(key.docName, key.entryId, key.attempt, owner, at).changes > 0;
	}

	async getClaim(key: ClaimKey): Promise<ClaimRow | null> {
		const r = this.#getClaim.get(key.docName, key.entryId, key.attempt);
		if (!r) return null;
		return {
			docName: r.doc_name,
			entryId: r.entry_id,
			attempt: r.attempt,
			owner: r.owner,
			claimedAt: r.claimed_at,
			outcome: outcomeOf(r)
		};
	}

	async finish(key: ClaimKey, outcome: ClaimOutcome) {
		const sent = outcome.status === 'sent';
		this.#finish.run(
			outcome.status,
			sent ? outcome.providerMessageId : null,
			sent ? null : outcome.code,
			sent ? null : outcome.message,
			key.docName,
			key.entryId,
			key.attempt
		);
	}

	async docOfSent(providerMessageId: string) {
		const r = this.#docOfSent.get(providerMessageId);
		return r ? { docName: r.doc_name, entryId: r.entry_id } : null;
	}

	async release(key: ClaimKey) {
		this.#release.run(key.docName, key.entryId, key.attempt);
	}
}

interface MediaTableRow {
	id: string;
	clinic_id: string;
	mime: string;
	bytes: number;
	filename: string | null;
	data: Buffer;
	created_at: number;
}

interface MediaJobTableRow {
	doc_name: string;
	entry_id: string;
	clinic_id: string;
	provider: MediaJobRow['provider'];
	account_id: string;
	source: string;
	kind: string;
	mime: string;
	filename: string | null;
	created_at: number;
}

export class SqliteMedia implements MediaRepository {
	readonly #insert;
	readonly #get;
	readonly #addJob;
	readonly #jobs;
	readonly #removeJob;

	constructor(db: Database.Database) {
		this.#addJob = db.prepare<[string, string, string, string, string, string, string, string, string | null, number]>(
			`INSERT INTO media_jobs (doc_name, entry_id, clinic_id, provider, account_id, source, kind, mime, filename, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
		);
		this.#jobs = db.prepare<[], MediaJobTableRow>('SELECT * FROM media_jobs ORDER BY created_at');
		this.#removeJob = db.prepare<[string, string]>('DELETE FROM media_jobs WHERE doc_name = ? AND entry_id = ?');
		this.#insert = db.prepare<[string, string, string, number, string | null, Buffer, number]>(
			'INSERT INTO media (id, clinic_id, mime, bytes, filename, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'
		);
		this.#get = db.prepare<[string], MediaTableRow>('SELECT * FROM media WHERE id = ?');
	}

	async insert(row: MediaRow) {
		this.#insert.run(row.id, row.clinicId, row.mime, row.bytes, row.filename, row.data, row.createdAt);
	}

	async addJob(j: MediaJobRow) {
		this.#addJob.run(
			j.docName,
			j.entryId,
			j.clinicId,
			j.provider,
			j.accountId,
			j.source,
			j.kind,
			j.mime,
			j.filename,
			j.createdAt
		);
	}

	async jobs() {
		return this.#jobs.all().map((r): MediaJobRow => ({
			docName: r.doc_name,
			entryId: r.entry_id,
			clinicId: r.clinic_id,
			provider: r.provider,
			accountId: r.account_id,
			source: r.source,
			kind: r.kind,
			mime: r.mime,
			filename: r.filename,
			createdAt: r.created_at
		}));
	}

	async removeJob(docName: string, entryId: string) {
		this.#removeJob.run(docName, entryId);
	}

	async get(id: string) {
		const r = this.#get.get(id);
		return r
			? {
					id: r.id,
					clinicId: r.clinic_id,
					mime: r.mime,
					bytes: r.bytes,
					filename: r.filename,
					data: r.data,
					createdAt: r.created_at
				}
			: null;
	}
}
