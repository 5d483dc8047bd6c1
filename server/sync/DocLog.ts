import * as Y from 'yjs';
import { open, seal, type Keyring } from '../crypto/index.ts';
import type { DocAppend, DocAppendResult, DocRecordKind, Store } from '../store/index.ts';

/**
 * A doc's stored history: sealed Yjs updates with increasing sequence numbers (handed out by the store), and at
 * most one sealed snapshot that replaces the updates before it. The associated data names clinic, doc, kind and
 * sequence, so a record moved anywhere else fails to open.
 */
export class DocLog {
	readonly #store: Pick<Store, 'docs'>;
	readonly #keyring: Keyring;

	constructor(store: Pick<Store, 'docs'>, keyring: Keyring) {
		this.#store = store;
		this.#keyring = keyring;
	}

	/** The doc's whole state as one update, the last sequence number stored, and how many updates follow the snapshot. */
	async load(clinicId: string, docName: string): Promise<{ state: Uint8Array | null; lastSeq: number; updates: number }> {
		const records = await this.#store.docs.load(docName);
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

	/**
	 * Unwraps the clinic's data key now (it may need the store) and returns a synchronous sealer for the doc's
	 * updates: the store calls it inside its transaction, once it has handed out the sequence.
	 */
	async updateSealer(clinicId: string, docName: string): Promise<DocAppend['seal']> {
		const key = await this.#keyring.dataKey(clinicId);
		return (seq, update) => seal(key, update, aad(clinicId, docName, 'update', seq));
	}

	append(batch: readonly DocAppend[]): Promise<DocAppendResult[]> {
		return this.#store.docs.append(batch);
	}

	/** Replaces every record up to `seq` by one snapshot of `state`. */
	async compact(clinicId: string, docName: string, seq: number, state: Uint8Array): Promise<void> {
		const key = await this.#keyring.dataKey(clinicId);
		const data = seal(key, state, aad(clinicId, docName, 'snapshot', seq));
		await this.#store.docs.compact({ clinicId, docName, kind: 'snapshot', seq, data });
	}
}

const aad = (clinicId: string, docName: string, kind: DocRecordKind, seq: number) =>
	`frontdesk:v1:doc:${kind}:${clinicId}:${docName}:${seq}`;
