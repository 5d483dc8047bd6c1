import * as Y from 'yjs';
import { STORE_ORIGIN } from '$lib/domain/origin.ts';
import { splitUpdate } from '$lib/sync/splitUpdate.ts';
import type { FrontdeskDatabase, PendingChange, StoredUpdate } from './db.ts';
import { deletedRanges, ServerDeletions, type DeleteSetLike } from './serverDeletions.ts';

/** Stored writes of a doc after which they are merged into one. */
const COMPACT_AFTER = 100;
/** A write IndexedDB refused is tried again after this long (and at once by whoever waits for it). */
const FLUSH_RETRY_MS = 1000;
/**
 * Changes that arrived (from the server or another tab) are written at once, but at most one such write per this
 * long: what arrives meanwhile waits and goes in the next write, together. A colleague typing sends one change per
 * keystroke, and a write per keystroke on every device that shows the note cost more than drawing it. What waits is
 * on the server already (a tab closed meanwhile loses nothing: the server sends it again at the next open), and it
 * is written at once when the device goes offline or the page is hidden. This device's own edits are written at
 * once (and take what waits along).
 */
export const ARRIVED_WRITE_GAP_MS = 250;
const FLUSH_ATTEMPTS = 5;
/**
 * Largest stored row. A bigger update (a fresh device's first sync, a compaction of a doc with 10,000 threads) is
 * stored as several rows in causal order, and loading applies them one at a time with the main thread free in
 * between: a screen drawn from the query tables is not held up for seconds by one big Yjs apply.
 */
export const STORED_ROW_BYTES = 64 * 1024;

/** Rows of one write: its pieces after the first carry `part`, so compaction counts writes, not pieces. */
function rowsOf(docName: string, update: Uint8Array): StoredUpdate[] {
	return splitUpdate(update, STORED_ROW_BYTES).map((piece, part) => ({ docName, update: piece, ...(part > 0 ? { part } : {}) }));
}

/** Gives the event loop a turn (input, paint, IndexedDB answers) between two pieces of a long load. */
const yieldToPage = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** An edit made on this device (domain operations run with no origin, or `local`), as opposed to one that arrived. */
export const isLocalOrigin = (origin: unknown) => origin === null || origin === undefined || origin === 'local';

/**
 * Keeps one Y.Doc in IndexedDB: loads it, appends every update, compacts the rows as they grow, and records the
 * device's own edits as pending until the server confirms them.
 */
export class DocPersistence {
	readonly docName: string;
	readonly ready: Promise<void>;
	readonly #db: FrontdeskDatabase;
	readonly #doc: Y.Doc;
	#queue: Uint8Array[] = [];
	#pending: Omit<PendingChange, 'id' | 'docName'>[] = [];
	/** What the server is known to hold, from every message it sent while this doc was open. */
	readonly #serverState = new Map<number, number>();
	readonly #serverDeletions = new ServerDeletions();
	/**
	 * The device's unconfirmed edits of this doc on disk or queued (what `pendingChanges` holds for it, from this tab
	 * and from earlier sessions), so a message from the server that confirms none of them costs no database work.
	 */
	#unconfirmed: Pick<PendingChange, 'client' | 'clock' | 'deletes'>[] = [];
	#flushing: Promise<void> | null = null;
	/** A retry after a failed write, or the delayed write of changes that arrived. */
	#timer: ReturnType<typeof setTimeout> | undefined;
	/** When the last write began (`performance.now()`), for the gap between writes of what arrived. */
	#lastWriteAt = -Infinity;
	#rows = 0;
	/** Updates queued and written so far: the queue is written in order, so `#written` counts a prefix of `#enqueued`. */
	#enqueued = 0;
	#written = 0;
	#destroyed = false;

	/** `after`: a previous instance of the same doc still writing; loading waits for it so nothing is read half-written. */
	constructor(db: FrontdeskDatabase, docName: string, doc: Y.Doc, after: Promise<void> = Promise.resolve()) {
		this.#db = db;
		this.docName = docName;
		this.#doc = doc;
		this.ready = after.then(() => this.#load());
		doc.on('update', this.#onUpdate);
	}

	async #load(): Promise<void> {
		const [rows] = await Promise.all([
			this.#db.docUpdates.where('docName').equals(this.docName).toArray(),
			this.#db.pendingChanges
				.where('docName')
				.equals(this.docName)
				.each(({ client, clock, deletes }) => this.#unconfirmed.push({ client, clock, ...(deletes ? { deletes } : {}) }))
		]);
		this.#rows = rows.filter((r) => !r.part).length;
		// Rows are in the order they were written, each piece after what it refers to: applied one by one, in
		// transactions of at most about one row's size, nothing stays pending and the page keeps answering.
		let batch: Uint8Array[] = [];
		let size = 0;
		for (const row of rows) {
			if (this.#destroyed) return;
			batch.push(row.update);
			size += row.update.length;
			if (size < STORED_ROW_BYTES) continue;
			this.#apply(batch);
			batch = [];
			size = 0;
			await yieldToPage();
		}
		if (batch.length > 0) this.#apply(batch);
		if (this.#rows > COMPACT_AFTER) await this.#compact();
	}

	/** One transaction, each row applied as it is: merging them first would decode and encode everything twice. */
	#apply(updates: Uint8Array[]): void {
		this.#doc.transact(() => {
			for (const update of updates) Y.applyUpdate(this.#doc, update, STORE_ORIGIN);
		}, STORE_ORIGIN);
	}

	readonly #onUpdate = (update: Uint8Array, origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
		if (origin === STORE_ORIGIN || this.#destroyed) return;
		if (isLocalOrigin(origin)) {
			const client = this.#doc.clientID;
			const clock = Y.getState(this.#doc.store, client);
			const deletesOnly = (transaction.beforeState.get(client) ?? 0) === clock;
			const deletes = deletesOnly ? { deletes: deletedRanges(transaction.deleteSet) } : {};
			this.#pending.push({ client, clock, update, ...deletes });
			this.#unconfirmed.push({ client, clock, ...deletes });
			this.#queue.push(update);
			this.#enqueued++;
			// Written in a microtask: what is typed in the same task goes in one write.
			if (!this.#flushing) this.#startFlush();
			return;
		}
		this.#queue.push(update);
		this.#enqueued++;
		this.#scheduleArrived();
	};

	/**
	 * Starts a write of the queue, in a microtask. `#flushing` is set here and cleared only when that same write is
	 * over, so it never holds a write that has ended: before, a write that found nothing to do ended inside the call
	 * that stored its promise, the finished promise stayed in `#flushing`, and from then on nothing of the doc was
	 * written (a booking made offline was gone after a reload; every confirmation failed).
	 */
	#startFlush(upTo = 0): Promise<void> {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		const run: Promise<void> = Promise.resolve()
			.then(() => this.#flush(upTo))
			.finally(() => {
				if (this.#flushing !== run) return;
				this.#flushing = null;
				// What came during the write's last step (or its compaction) is not left waiting for the next update.
				this.#scheduleArrived();
			});
		this.#flushing = run;
		return run;
	}

	/** What waits is written now (an edit of this device's is in it, or the gap is over) or when the gap is over. */
	#scheduleArrived(): void {
		if (this.#destroyed || this.#flushing || this.#timer !== undefined || this.#queue.length === 0) return;
		const wait = this.#pending.length > 0 ? 0 : this.#lastWriteAt + ARRIVED_WRITE_GAP_MS - performance.now();
		if (wait <= 0) void this.#startFlush();
		else this.#timer = setTimeout(this.#afterWait, wait);
	}

	readonly #afterWait = () => {
		this.#timer = undefined;
		this.#scheduleArrived();
	};

	/** After a failed write: tried again whatever the gap says. */
	readonly #retry = () => {
		this.#timer = undefined;
		if (!this.#destroyed && !this.#flushing && this.#queue.length > 0) void this.#startFlush();
	};

	/**
	 * Writes the queue. The first `upTo` updates ever queued (`flushed` waits for them) and this device's own edits
	 * go without waiting; what arrived beyond them waits for the gap (`#startFlush` schedules it when this ends).
	 */
	async #flush(upTo = 0): Promise<void> {
		try {
			while (this.#queue.length > 0) {
				if (this.#written >= upTo && this.#pending.length === 0 && this.#lastWriteAt + ARRIVED_WRITE_GAP_MS > performance.now())
					break;
				const updates = this.#queue;
				const pending = this.#pending;
				this.#lastWriteAt = performance.now();
				this.#queue = [];
				this.#pending = [];
				try {
					await this.#db.transaction('rw', this.#db.docUpdates, this.#db.pendingChanges, async () => {
						await this.#db.docUpdates.bulkAdd(rowsOf(this.docName, updates.length === 1 ? updates[0] : Y.mergeUpdates(updates)));
						if (pending.length > 0) await this.#db.pendingChanges.bulkAdd(pending.map((p) => ({ docName: this.docName, ...p })));
					});
				} catch (error) {
					// Nothing of this write is on disk: it goes back in front of what came since, and is tried again.
					// Before, one failed write left `#flushing` rejected and every later update of the doc unwritten.
					this.#queue = [...updates, ...this.#queue];
					this.#pending = [...pending, ...this.#pending];
					throw error;
				}
				this.#rows++;
				this.#written += updates.length;
			}
		} catch (error) {
			console.error(`could not store changes of ${this.docName}; retrying`, error);
			clearTimeout(this.#timer);
			this.#timer = setTimeout(this.#retry, FLUSH_RETRY_MS);
			return;
		}
		if (this.#rows > COMPACT_AFTER)
			// A compaction that fails leaves the rows as they were: nothing is lost, it is tried after the next write.
			await this.compact().catch((error: unknown) => console.error(`could not compact ${this.docName}`, error));
	}

	/**
	 * Resolves when every update so far is on disk; rejects if writing them failed again and again. Updates that
	 * arrive meanwhile are not waited for: while a colleague types, the queue never stays empty, and waiting for it
	 * to be empty counted each of their keystrokes as a failed attempt (the device then reported its own confirmed
	 * edits as not stored).
	 */
	async flushed(): Promise<void> {
		await this.ready;
		const upTo = this.#enqueued;
		let failures = 0;
		while (this.#written < upTo) {
			// A write waiting for its retry or for the gap is tried now: whoever waits (a closing doc) needs it on disk.
			const run = this.#flushing ?? this.#startFlush(upTo);
			const before = this.#written;
			await run;
			if (this.#written === before && ++failures > FLUSH_ATTEMPTS)
				throw new Error(`changes of ${this.docName} could not be stored`);
		}
	}

	/**
	 * Replaces the doc's rows by one update of the live doc's state, atomically. Encoded from the doc (garbage
	 * collected), not merged from the rows: `Y.mergeUpdates` keeps deleted content, so an erased name would stay on disk.
	 */
	async compact(): Promise<void> {
		await this.ready;
		await this.#compact();
	}

	async #compact(): Promise<void> {
		await this.#db.transaction('rw', this.#db.docUpdates, async () => {
			const rows = await this.#db.docUpdates.where('docName').equals(this.docName).toArray();
			if (rows.length === 0) return;
			// Rows this doc has not seen (another tab's) go into it first, so the one row replacing them holds them too.
			Y.applyUpdate(this.#doc, Y.mergeUpdates(rows.map((r) => r.update)), STORE_ORIGIN);
			await this.#db.docUpdates.bulkDelete(rows.map((r) => r.id!));
			await this.#db.docUpdates.bulkAdd(rowsOf(this.docName, Y.encodeStateAsUpdate(this.#doc)));
		});
		this.#rows = 1;
	}

	/**
	 * The server holds these clocks (its state vector, or the extent of an update it relayed): the changes they cover
	 * are confirmed. What it said before counts too, so a message without structs (the answer to a query) confirms
	 * an edit that only deleted once its deletions are known to be on the server (`noteServerDeletions`).
	 */
	async confirm(serverStateVector: Map<number, number>): Promise<void> {
		for (const [client, clock] of serverStateVector)
			if (clock > (this.#serverState.get(client) ?? 0)) this.#serverState.set(client, clock);
		await this.ready;
		// Most messages carry a colleague's change and confirm nothing of this device's.
		if (!this.#unconfirmed.some(this.#confirmed)) return;
		await this.flushed();
		this.#unconfirmed = this.#unconfirmed.filter((p) => !this.#confirmed(p));
		await this.#db.pendingChanges.where('docName').equals(this.docName).filter(this.#confirmed).delete();
	}

	readonly #confirmed = (p: Pick<PendingChange, 'client' | 'clock' | 'deletes'>): boolean =>
		(this.#serverState.get(p.client) ?? 0) >= p.clock && (!p.deletes || this.#serverDeletions.covers(p.deletes));

	/** A delete set the server sent: what it holds as deleted. Call it before `confirm` for the same message. */
	noteServerDeletions(ds: DeleteSetLike): void {
		this.#serverDeletions.add(ds);
	}

	/**
	 * Deletions the server will never take (a signed note's offline edits, moved into an addendum: NOTES-SIGN-2) count
	 * as settled: the edits made of them are no longer unsent.
	 */
	settleDeletions(ds: DeleteSetLike): void {
		this.#serverDeletions.add(ds);
	}

	destroy(): void {
		this.#destroyed = true;
		clearTimeout(this.#timer);
		this.#doc.off('update', this.#onUpdate);
	}
}
