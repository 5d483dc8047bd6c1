import { open, seal, type Keyring } from '../crypto/index.ts';
import type { JournalRow, Store } from '../store/index.ts';
import type { InboundItem } from './inboundItem.ts';

/** An event the journal holds: its sequence, and where the inbox put it if a write before a crash got that far. */
export interface Journaled {
	seq: number;
	item: InboundItem;
	threadId: string | null;
	contactId: string | null;
}

interface Waiting {
	item: InboundItem;
	resolve(result: { duplicate: boolean }): void;
	reject(error: unknown): void;
}

/** Events per journal commit: what arrived while the previous commit ran, up to this many. */
const MAX_PER_COMMIT = 500;
/**
 * Commits start at least this far apart: SQLite's commit blocks the event loop for its fsync, so under a burst a
 * commit right after the last one would carry only the few events one turn of the loop read (measured: 14 on
 * average) and the fsyncs would take a good share of the loop. An answer waits at most this much longer.
 */
const MIN_COMMIT_GAP_MS = 2;

const aad = (clinicId: string, provider: string, messageId: string) =>
	`frontdesk:v1:inbound:${clinicId}:${provider}:${messageId}`;

/**
 * The webhooks' durable inbox (CHAN-JOURNAL-1): an event is answered once it is committed here, sealed with its
 * clinic's data key; the ingest writes it into the docs after. What arrives while one commit runs shares the next
 * (a group commit), so a busy webhook pays one fsync for many events. Commits run one at a time, so events keep
 * the order they arrived in.
 */
export class InboundJournal {
	readonly #store: Pick<Store, 'inboundJournal'>;
	readonly #keyring: Keyring;
	readonly #onJournaled: (events: Journaled[]) => void;
	#waiting: Waiting[] = [];
	#committing = false;
	#lastCommit = -Infinity;

	/** `onJournaled` gets each commit's new events (never duplicates), in sequence order. */
	constructor(store: Pick<Store, 'inboundJournal'>, keyring: Keyring, onJournaled: (events: Journaled[]) => void) {
		this.#store = store;
		this.#keyring = keyring;
		this.#onJournaled = onJournaled;
	}

	/**
	 * Resolves once the event is durable: `duplicate` when its provider id was journaled or written before (nothing
	 * added). Rejects if the commit failed (the webhook answers 500 and the provider retries).
	 */
	record(item: InboundItem): Promise<{ duplicate: boolean }> {
		return new Promise((resolve, reject) => {
			this.#waiting.push({ item, resolve, reject });
			if (!this.#committing && this.#waiting.length === 1) this.#commitSoon();
		});
	}

	#commitSoon(): void {
		const wait = this.#lastCommit + MIN_COMMIT_GAP_MS - performance.now();
		if (wait > 0) setTimeout(() => void this.#commit(), wait);
		else setImmediate(() => void this.#commit());
	}

	async #commit(): Promise<void> {
		if (this.#committing || this.#waiting.length === 0) return;
		this.#committing = true;
		const batch = this.#waiting.splice(0, MAX_PER_COMMIT);
		try {
			const keys = new Map<string, Buffer>();
			for (const { item } of batch)
				if (!keys.has(item.clinicId)) keys.set(item.clinicId, await this.#keyring.dataKey(item.clinicId));
			const receivedAt = Date.now();
			const seqs = await this.#store.inboundJournal.append(
				batch.map(({ item }) => ({
					provider: item.provider,
					messageId: item.messageId,
					clinicId: item.clinicId,
					data: seal(
						keys.get(item.clinicId)!,
						Buffer.from(JSON.stringify(item)),
						aad(item.clinicId, item.provider, item.messageId)
					),
					receivedAt
				}))
			);
			const journaled: Journaled[] = [];
			batch.forEach((w, i) => {
				const seq = seqs[i];
				if (seq !== null) journaled.push({ seq, item: w.item, threadId: null, contactId: null });
				w.resolve({ duplicate: seq === null });
			});
			if (journaled.length > 0) this.#onJournaled(journaled);
		} catch (error) {
			for (const w of batch) w.reject(error);
		} finally {
			this.#committing = false;
			this.#lastCommit = performance.now();
			if (this.#waiting.length > 0) this.#commitSoon();
		}
	}
}

/** Opens a stored journal row (a replay after a restart, or a backlog read back from the store). */
export async function openJournalRow(row: JournalRow, keyring: Keyring): Promise<Journaled> {
	const key = await keyring.dataKey(row.clinicId);
	const item = JSON.parse(open(key, row.data, aad(row.clinicId, row.provider, row.messageId)).toString('utf8')) as InboundItem;
	return { seq: row.seq, item, threadId: row.threadId, contactId: row.contactId };
}
