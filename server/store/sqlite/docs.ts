import type Database from 'better-sqlite3';
import type { DocAppend, DocAppendResult, DocRecord, DocRepository, SideRow, UpdateWriter } from '../docs.ts';

interface RecordRow {
	doc_name: string;
	clinic_id: string;
	seq: number;
	kind: DocRecord['kind'];
	data: Buffer;
}

interface WriterRow {
	seq: number;
	source: UpdateWriter['source'];
	user_id: string | null;
	session_id: string | null;
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
	readonly #insert;
	readonly #insertWriter;
	readonly #deleteUpTo;
	readonly #deleteWritersUpTo;
	readonly #usage;
	readonly #writers;
	readonly #appendFast;
	readonly #appendAll;
	readonly #compact;

	constructor(db: Database.Database) {
		this.#load = db.prepare<[string], RecordRow>('SELECT * FROM doc_records WHERE doc_name = ? ORDER BY seq');
		this.#lastSeq = db.prepare<[string], { last: number }>(
			'SELECT coalesce(max(seq), 0) AS last FROM doc_records WHERE doc_name = ?'
		);
		this.#insert = db.prepare<[string, number, string, DocRecord['kind'], Buffer]>(
			'INSERT INTO doc_records (doc_name, seq, clinic_id, kind, data) VALUES (?, ?, ?, ?, ?)'
		);
		this.#insertWriter = db.prepare<[string, number, string, string | null, string | null]>(
			'INSERT INTO doc_update_writers (doc_name, seq, source, user_id, session_id) VALUES (?, ?, ?, ?, ?)'
		);
		this.#deleteUpTo = db.prepare<[string, number]>('DELETE FROM doc_records WHERE doc_name = ? AND seq <= ?');
		// Side rows of a folded record go with it.
		this.#deleteWritersUpTo = db.prepare<[string, number]>('DELETE FROM doc_update_writers WHERE doc_name = ? AND seq <= ?');
		this.#usage = db.prepare<[string], { docs: number; bytes: number }>(
			'SELECT count(DISTINCT doc_name) AS docs, coalesce(sum(length(data)), 0) AS bytes FROM doc_records WHERE clinic_id = ?'
		);
		this.#writers = db.prepare<[string], WriterRow>(
			'SELECT seq, source, user_id, session_id FROM doc_update_writers WHERE doc_name = ? ORDER BY seq'
		);
		// Called inside #appendAll's transaction, better-sqlite3 runs it as a savepoint: a throw undoes that doc alone.
		const appendOne = db.transaction((doc: DocAppend) => this.#appendOne(doc));
		// Everything at once: the common case, where nothing fails, pays for no savepoint.
		this.#appendFast = db.transaction((batch: readonly DocAppend[]): DocAppendResult[] =>
			batch.map((doc) => ({ ok: true, seqs: this.#appendOne(doc) }))
		);
		this.#appendAll = db.transaction((batch: readonly DocAppend[]): DocAppendResult[] =>
			batch.map((doc) => {
				try {
					return { ok: true, seqs: appendOne(doc) };
				} catch (error) {
					// Some errors (disk full, I/O) make SQLite roll back the whole transaction: then the batch fails as a
					// whole rather than carrying on outside a transaction.
					if (!db.inTransaction) throw error;
					return { ok: false, error };
				}
			})
		);
		this.#compact = db.transaction((snapshot: DocRecord) => {
			this.#deleteUpTo.run(snapshot.docName, snapshot.seq);
			this.#deleteWritersUpTo.run(snapshot.docName, snapshot.seq);
			this.#insert.run(snapshot.docName, snapshot.seq, snapshot.clinicId, 'snapshot', snapshot.data);
		});
	}

	async load(docName: string) {
		return this.#load
			.all(docName)
			.map((r): DocRecord => ({ docName: r.doc_name, clinicId: r.clinic_id, seq: r.seq, kind: r.kind, data: r.data }));
	}

	/** One doc's updates and their side rows, with the doc's next sequences. */
	#appendOne(doc: DocAppend): number[] {
		let seq = this.#lastSeq.get(doc.docName)?.last ?? 0;
		const seqs: number[] = [];
		for (const { update, rows } of doc.updates) {
			seq++;
			this.#insert.run(doc.docName, seq, doc.clinicId, 'update', doc.seal(seq, update));
			for (const row of rows) this.#insertSideRow(doc.docName, seq, row);
			seqs.push(seq);
		}
		return seqs;
	}

	async append(batch: readonly DocAppend[]) {
		if (batch.length === 0) return [];
		// IMMEDIATE: the write lock is taken before the sequences are read, so another process cannot append between.
		try {
			return this.#appendFast.immediate(batch);
		} catch (error) {
			// One doc, one transaction: whatever failed, that doc failed, and nothing of it is stored.
			if (batch.length === 1) return [{ ok: false as const, error }];
		}
		// Something failed and nothing was stored: again, one savepoint per doc, so the doc that fails fails alone.
		return this.#appendAll.immediate(batch);
	}

	#insertSideRow(docName: string, seq: number, row: SideRow): void {
		switch (row.table) {
			case 'doc_update_writers':
				this.#insertWriter.run(docName, seq, row.source, row.userId, row.sessionId);
				return;
		}
	}

	async compact(snapshot: DocRecord) {
		this.#compact.immediate(snapshot);
	}

	async clinicUsage(clinicId: string) {
		const r = this.#usage.get(clinicId);
		return { docs: r?.docs ?? 0, bytes: r?.bytes ?? 0 };
	}

	async writers(docName: string) {
		return this.#writers
			.all(docName)
			.map((r): UpdateWriter => ({ seq: r.seq, source: r.source, userId: r.user_id, sessionId: r.session_id }));
	}
}
