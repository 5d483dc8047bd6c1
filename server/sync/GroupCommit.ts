import type { Logger } from '../log.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import type { DocRecord } from '../store/index.ts';
import type { DocLog } from './DocLog.ts';

export interface PendingUpdate<R> {
	room: R;
	seq: number;
	update: Uint8Array;
	/** Who wrote it: kept with the update up to the commit hooks. */
	origin: TransactionOrigin;
}

export interface CommitTarget {
	readonly clinicId: string;
	readonly name: string;
	/** Called after the updates are durable, in sequence order; relaying happens here and only here. */
	committed(updates: PendingUpdate<this>[]): void;
	/** Called when the updates could not be stored: they must not be relayed. */
	failed(error: unknown): void;
	/** Applies what arrived since the last commit, which enqueues its updates here. */
	applyIncoming(): void;
}

/**
 * Every update of every doc is sealed and appended here; the updates that arrive during one turn of the
 * event loop share one transaction (one fsync). Only one commit is in flight, so records land in order.
 */
export class GroupCommit<R extends CommitTarget> {
	readonly #log: DocLog;
	readonly #logger: Logger;
	#queue: PendingUpdate<R>[] = [];
	#dirty = new Set<R>();
	#scheduled = false;
	#inFlight: Promise<void> | null = null;
	#idleWaiters: (() => void)[] = [];

	/** Figures for /metrics (frontdesk_sync_commits, frontdesk_sync_updates) and the benchmark. */
	readonly stats = { commits: 0, updates: 0 };

	constructor(log: DocLog, logger: Logger) {
		this.#log = log;
		this.#logger = logger;
	}

	enqueue(entry: PendingUpdate<R>): void {
		this.#queue.push(entry);
		this.#schedule();
	}

	/** The room received updates: they are applied, stored and relayed with the next commit. */
	markDirty(room: R): void {
		this.#dirty.add(room);
		this.#schedule();
	}

	#schedule(): void {
		if (!this.#scheduled) {
			this.#scheduled = true;
			setImmediate(() => void this.#run());
		}
	}

	/** Resolves once everything enqueued so far is committed (or failed). */
	idle(): Promise<void> {
		if (!this.#scheduled && !this.#inFlight && this.#queue.length === 0 && this.#dirty.size === 0) return Promise.resolve();
		return new Promise((resolve) => this.#idleWaiters.push(resolve));
	}

	async #run(): Promise<void> {
		if (this.#inFlight) await this.#inFlight;
		this.#scheduled = false;
		const dirty = this.#dirty;
		this.#dirty = new Set();
		for (const room of dirty) {
			try {
				room.applyIncoming();
			} catch (error) {
				// A bug in one doc's apply must not take the process down (this runs outside any caller).
				this.#logger.error({ doc: room.name, err: errorSummary(error) }, 'applying incoming updates failed');
				room.failed(error);
			}
		}
		const batch = this.#queue;
		this.#queue = [];
		if (batch.length > 0) {
			this.#inFlight = this.#commit(batch);
			await this.#inFlight;
			this.#inFlight = null;
		}
		if (this.#queue.length === 0 && !this.#scheduled) {
			const waiters = this.#idleWaiters;
			this.#idleWaiters = [];
			for (const resolve of waiters) resolve();
		}
	}

	async #commit(batch: PendingUpdate<R>[]): Promise<void> {
		const byRoom = new Map<R, PendingUpdate<R>[]>();
		for (const entry of batch) {
			const list = byRoom.get(entry.room);
			if (list) list.push(entry);
			else byRoom.set(entry.room, [entry]);
		}
		// Sealed per doc: a clinic whose key cannot be had fails its own docs, not the others in the batch.
		const records: DocRecord[] = [];
		for (const [room, entries] of byRoom) {
			try {
				const sealed: DocRecord[] = [];
				for (const e of entries) sealed.push(await this.#log.seal(room.clinicId, room.name, 'update', e.seq, e.update));
				records.push(...sealed);
			} catch (error) {
				this.#logger.error({ doc: room.name, err: errorSummary(error) }, 'sealing updates failed');
				byRoom.delete(room);
				room.failed(error);
			}
		}
		try {
			await this.#log.append(records);
			this.stats.commits++;
			this.stats.updates += records.length;
		} catch (error) {
			this.#logger.error({ err: errorSummary(error), updates: records.length, docs: byRoom.size }, 'storing updates failed');
			for (const room of byRoom.keys()) room.failed(error);
			return;
		}
		for (const [room, entries] of byRoom) room.committed(entries);
	}
}

const errorSummary = (error: unknown) => (error instanceof Error ? { name: error.name, message: error.message } : String(error));
