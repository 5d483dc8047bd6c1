import type { OriginSource } from '../../src/lib/domain/origin.ts';
import type { InboundMessageRow, JournalDoneRow, JournalThreadRow, OutboxMarkRow } from './channels.ts';

export type DocRecordKind = 'update' | 'snapshot';

export interface DocRecord {
	docName: string;
	clinicId: string;
	seq: number;
	kind: DocRecordKind;
	/** Sealed bytes (see server/crypto). */
	data: Buffer;
}

/** Who wrote one stored update: ids only, never names or content. */
export interface UpdateWriterRow {
	readonly kind: 'writer';
	readonly source: Exclude<OriginSource, 'store'>;
	readonly userId: string | null;
	readonly sessionId: string | null;
}

/**
 * Something that belongs to one update and is written in the same transaction (the same savepoint) as its
 * record: both land or neither. The store fills in the doc and sequence, and chooses where it goes (writers are
 * kept on the record itself). One member per kind the store knows; an outbox claim, an audit row or a projection
 * joins this union with its migration.
 */
export type SideRow = UpdateWriterRow | InboundMessageRow | OutboxMarkRow | JournalDoneRow | JournalThreadRow;

export interface UpdateToAppend {
	/** The plain Yjs update; only what `seal` returns is stored. */
	update: Uint8Array;
	rows: readonly SideRow[];
}

/** One doc's share of a group commit. */
export interface DocAppend {
	docName: string;
	clinicId: string;
	/** In the order they were made: they get increasing sequence numbers in this order. */
	updates: readonly UpdateToAppend[];
	/**
	 * Seals one update once the store has handed out its sequence (the sequence is part of the associated data).
	 * Called inside the transaction, so it is synchronous: the caller unwraps the data key beforehand.
	 */
	seal(seq: number, update: Uint8Array): Buffer;
}

/** What became of one doc's append: its sequences, or the error that rolled back that doc alone. */
export type DocAppendResult = { ok: true; seqs: number[] } | { ok: false; error: unknown };

export interface ClinicUsage {
	docs: number;
	bytes: number;
}

/** A stored writer row, as read back (for audit and tests). */
export interface UpdateWriter {
	seq: number;
	source: UpdateWriterRow['source'];
	userId: string | null;
	sessionId: string | null;
}

/** Each doc's log of sealed records: updates, and at most one snapshot that replaced the updates before it. */
export interface DocRepository {
	/** A doc's records in sequence order: at most one snapshot, then the updates after it. */
	load(docName: string): Promise<DocRecord[]>;
	/**
	 * Appends several docs' updates in one transaction (one fsync: the group commit). The store assigns each
	 * doc's next sequences inside the transaction, so two processes appending to one doc never collide. Each
	 * doc is appended in its own savepoint: a doc that fails is rolled back alone (records and side rows) and
	 * reported in its result; the others commit. Rejects only if the transaction as a whole fails.
	 */
	append(batch: readonly DocAppend[]): Promise<DocAppendResult[]>;
	/** Replaces every record of a doc up to `snapshot.seq`, and their side rows, by the snapshot, in one transaction. */
	compact(snapshot: DocRecord): Promise<void>;
	/** How many docs a clinic has stored and the bytes of their records (for its quotas). */
	clinicUsage(clinicId: string): Promise<ClinicUsage>;
	/** Who wrote each stored update of a doc, in sequence order. */
	writers(docName: string): Promise<UpdateWriter[]>;
}
