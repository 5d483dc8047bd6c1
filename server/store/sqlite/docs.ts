import type Database from 'better-sqlite3';
import type { DocAppend, DocAppendResult, DocRecord, DocRepository, SideRow, UpdateWriter } from '../docs.ts';

interface RecordRow {
	doc_name: string;
	clinic_id: string;
	seq: number;
	kind: DocRecord['kind'];
	data: Buffer;
}

interface WritersRow {
	seq: number;
	writers: string;
}

/** Enough for every doc a busy server holds open; past it the cache starts again rather than grow. */
const MAX_CACHED_DOCS = 10_000;

type StoredWriter = Omit<UpdateWriter, 'seq'>;

const WRITER_SOURCES: ReadonlySet<string> = new Set<UpdateWriter['source']>(['connection', 'channel', 'google', 'job']);

/** The record's writers column: each distinct writer once, in the order they wrote. */
function writersJson(rows: readonly SideRow[]): string | null {
	const writers: StoredWriter[] = [];
	const seen = new Set<string>();
	for (const row of rows) {
		if (row.kind !== 'writer') continue;
		if (!WRITER_SOURCES.has(row.source)) throw new Error(`unknown writer source: ${String(row.source)}`);
		const key = JSON.stringify([row.source, row.userId, row.sessionId]);
		// The group commit hands each distinct writer once; a second one is a caller's bug, refused like a
		// duplicate key would be.
		if (seen.has(key)) throw new Error('the same writer twice for one record');
		seen.add(key);
		writers.push({ source: row.source, userId: row.userId, sessionId: row.sessionId });
	}
	return writers.length === 0 ? null : JSON.stringify(writers);
}

/**
 * Sequences are handed out here, inside the write transaction, from the highest stored one (a compaction keeps
 * the highest: its snapshot takes it): two processes on one file take turns on the write lock, so each sees
 * the other's records and their sequences interleave instead of colliding. We chose this over a unique
 * (doc, seq) with a collision failing the doc because a collision would fail a device's write for nothing,
 * again and again while both processes hold the doc; here both writes land. The price is sealing inside the
 * transaction (the sequence is in the associated data): AES-GCM of one update, synchronous, with a data key
 * unwrapped beforehand, is microseconds.
 */
export class SqliteDocs implements DocRepository {
	readonly #load;
	readonly #lastSeq;
	readonly #dataVersion;
	/**
	 * Each doc's highest stored sequence, as of the last commit of this connection. PRAGMA data_version moves
	 * when another connection (another process) commits: then the cache is dropped and read again. It saves a
	 * query per doc of every commit; only this repository writes doc_records on this connection.
	 */
	readonly #lastSeqs = new Map<string, number>();
	#seenVersion: unknown = null;
	readonly #insert;
	readonly #deleteUpTo;
	readonly #usage;
	readonly #writers;
	readonly #appendFast;
	readonly #appendAll;
	readonly #compact;
	readonly #inbound;
	readonly #outboxMark;
	readonly #journalDone;
	readonly #journalThread;

	constructor(db: Database.Database) {
		// A provider message id already stored fails the insert, and with it the doc's savepoint (CHAN-DEDUPE-1).
		this.#inbound = db.prepare<[string, string, string, number]>(
			'INSERT INTO channel_inbound (provider, message_id, doc_name, seq) VALUES (?, ?, ?, ?)'
		);
		this.#outboxMark = db.prepare<[string, string]>(
			`INSERT INTO outbox_pending (doc_name, clinic_id, mark) VALUES (?, ?, 1)
			ON CONFLICT (doc_name) DO UPDATE SET mark = mark + 1`
		);
		// The journal's row of an event leaves with the thread update that wrote it, and learns its thread with the
		// inbox update that counted it (CHAN-JOURNAL-1, -2).
		this.#journalDone = db.prepare<[number]>('DELETE FROM inbound_journal WHERE seq = ?');
		this.#journalThread = db.prepare<[string, string, number]>(
			'UPDATE inbound_journal SET thread_id = ?, contact_id = ? WHERE seq = ?'
		);
		this.#load = db.prepare<[string], RecordRow>('SELECT * FROM doc_records WHERE doc_name = ? ORDER BY seq');
		this.#lastSeq = db.prepare<[string], { last: number }>(
			'SELECT coalesce(max(seq), 0) AS last FROM doc_records WHERE doc_name = ?'
		);
		this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
		this.#insert = db.prepare<[string, number, string, DocRecord['kind'], Buffer, string | null]>(
			'INSERT INTO doc_records (doc_name, seq, clinic_id, kind, data, writers) VALUES (?, ?, ?, ?, ?, ?)'
		);
		// The writers of folded records go with them.
		this.#deleteUpTo = db.prepare<[string, number]>('DELETE FROM doc_records WHERE doc_name = ? AND seq <= ?');
		this.#usage = db.prepare<[{ clinic: string }], { docs: number; bytes: number }>(
			// A doc's name starts with its clinic's id and '/' (append refuses any other): the range of names in the
			// primary key is the clinic's, so no index on clinic_id has to be written on every commit.
			`SELECT count(DISTINCT doc_name) AS docs, coalesce(sum(length(data)), 0) AS bytes FROM doc_records
			WHERE doc_name > @clinic || '/' AND doc_name < @clinic || '0' AND clinic_id = @clinic`
		);
		this.#writers = db.prepare<[string], WritersRow>(
			'SELECT seq, writers FROM doc_records WHERE doc_name = ? AND writers IS NOT NULL ORDER BY seq'
		);
		// Called inside #appendAll's transaction, better-sqlite3 runs it as a savepoint: a throw undoes that doc alone.
		const appendOne = db.transaction((doc: DocAppend) => this.#appendOne(doc));
		// Everything at once: the common case, where nothing fails, pays for no savepoint.
		this.#appendFast = db.transaction((batch: readonly DocAppend[]): DocAppendResult[] => {
			this.#checkSeqCache();
			return batch.map((doc) => ({ ok: true, seqs: this.#appendOne(doc) }));
		});
		this.#appendAll = db.transaction((batch: readonly DocAppend[]): DocAppendResult[] => {
			this.#checkSeqCache();
			return batch.map((doc) => {
				try {
					return { ok: true, seqs: appendOne(doc) };
				} catch (error) {
					// Some errors (disk full, I/O) make SQLite roll back the whole transaction: then the batch fails as a
					// whole rather than carrying on outside a transaction.
					if (!db.inTransaction) throw error;
					return { ok: false, error };
				}
			});
		});
		this.#compact = db.transaction((snapshot: DocRecord) => {
			this.#deleteUpTo.run(snapshot.docName, snapshot.seq);
			this.#insert.run(snapshot.docName, snapshot.seq, snapshot.clinicId, 'snapshot', snapshot.data, null);
		});
	}

	async load(docName: string) {
		return this.#load
			.all(docName)
			.map((r): DocRecord => ({ docName: r.doc_name, clinicId: r.clinic_id, seq: r.seq, kind: r.kind, data: r.data }));
	}

	/** One doc's updates and their side rows, with the doc's next sequences. */
	#appendOne(doc: DocAppend): number[] {
		if (!doc.docName.startsWith(`${doc.clinicId}/`)) throw new Error('a doc is stored under its own clinic only');
		let seq = this.#lastSeqs.get(doc.docName) ?? this.#lastSeq.get(doc.docName)?.last ?? 0;
		const seqs: number[] = [];
		for (const { update, rows } of doc.updates) {
			seq++;
			this.#insert.run(doc.docName, seq, doc.clinicId, 'update', doc.seal(seq, update), writersJson(rows));
			this.#channelRows(doc, seq, rows);
			seqs.push(seq);
		}
		return seqs;
	}

	/** The channels' side rows of one record (server/channels): message ids seen, replies waiting. */
	#channelRows(doc: DocAppend, seq: number, rows: readonly SideRow[]): void {
		for (const row of rows) {
			if (row.kind === 'inbound') this.#inbound.run(row.provider, row.messageId, doc.docName, seq);
			else if (row.kind === 'outbox') this.#outboxMark.run(doc.docName, doc.clinicId);
			else if (row.kind === 'journal-done') this.#journalDone.run(row.seq);
			else if (row.kind === 'journal-thread') this.#journalThread.run(row.threadId, row.contactId, row.seq);
		}
	}

	async append(batch: readonly DocAppend[]) {
		if (batch.length === 0) return [];
		let results: DocAppendResult[];
		// IMMEDIATE: the write lock is taken before the sequences are read, so another process cannot append between.
		try {
			results = this.#appendFast.immediate(batch);
		} catch (error) {
			// One doc, one transaction: whatever failed, that doc failed, and nothing of it is stored.
			if (batch.length === 1) return [{ ok: false as const, error }];
			// Something failed and nothing was stored: again, one savepoint per doc, so the doc that fails fails alone.
			results = this.#appendAll.immediate(batch);
		}
		// Committed: only now do the sequences count (a rolled-back doc's were never used).
		if (this.#lastSeqs.size > MAX_CACHED_DOCS) this.#lastSeqs.clear();
		results.forEach((result, i) => {
			if (result.ok && result.seqs.length > 0) this.#lastSeqs.set(batch[i].docName, result.seqs[result.seqs.length - 1]);
		});
		return results;
	}

	/** Inside the write transaction: forgets the cached sequences if another connection has committed since. */
	#checkSeqCache(): void {
		const version = this.#dataVersion.get();
		if (version !== this.#seenVersion) {
			this.#lastSeqs.clear();
			this.#seenVersion = version;
		}
	}

	async compact(snapshot: DocRecord) {
		this.#compact.immediate(snapshot);
	}

	async clinicUsage(clinicId: string) {
		const r = this.#usage.get({ clinic: clinicId });
		return { docs: r?.docs ?? 0, bytes: r?.bytes ?? 0 };
	}

	async writers(docName: string) {
		return this.#writers
			.all(docName)
			.flatMap((r) => (JSON.parse(r.writers) as StoredWriter[]).map((w): UpdateWriter => ({ seq: r.seq, ...w })));
	}
}
