import * as Y from 'yjs';
import { open, seal, type Keyring } from '../crypto/index.ts';
import type { DocRecord, DocRecordKind, Store } from '../store/index.ts';

/**
 * A doc's stored history: sealed Yjs updates with increasing sequence numbers, and at most one sealed
 * snapshot that replaces the updates before it. The associated data names clinic, doc, kind and sequence,
 * so a record moved anywhere else fails to open.
 */
export class DocLog {
	readonly #store: Store;
	readonly #keyring: Keyring;

	constructor(store: Store, keyring: Keyring) {
		this.#store = store;
		this.#keyring = keyring;
	}

	/** The doc's whole state as one update, the last sequence number used, and how many updates follow the snapshot. */
	async load(clinicId: string, docName: string): Promise<{ state: Uint8Array | null; lastSeq: number; updates: number }> {
		const records = await this.#store.loadDocRecords(docName);
		if (records.length === 0) return { state: null, lastSeq: 0, updates: 0 };
		const key = await this.#keyring.dataKey(clinicId);
		const updates = records.map((r) => {
			if (r.clinicId !== clinicId) throw new Error(`record ${r.seq} of ${docName} belongs to another clinic`);
			return open(key, r.data, aad(r.clinicId, r.docName, r.kind, r.seq));
		});
		return {
			state: updates.length === 1 ? updates[0] : Y.mergeUpdates(updates),
			lastSeq: records[records.length - 1].seq,
			updates: records.filter((r) => r.kind === 'update').length
		};
	}

	/** Seals one record for appending; the data key must already be known (the doc was loaded). */
	async seal(clinicId: string, docName: string, kind: DocRecordKind, seq: number, bytes: Uint8Array): Promise<DocRecord> {
		const key = await this.#keyring.dataKey(clinicId);
		return { clinicId, docName, kind, seq, data: seal(key, bytes, aad(clinicId, docName, kind, seq)) };
	}

	append(records: DocRecord[]): Promise<void> {
		return this.#store.appendDocRecords(records);
	}

	/** Replaces every record up to `seq` by one snapshot of `state`. */
	async compact(clinicId: string, docName: string, seq: number, state: Uint8Array): Promise<void> {
		await this.#store.compactDoc(await this.seal(clinicId, docName, 'snapshot', seq, state));
	}
}

const aad = (clinicId: string, docName: string, kind: DocRecordKind, seq: number) =>
	`frontdesk:v1:doc:${kind}:${clinicId}:${docName}:${seq}`;
