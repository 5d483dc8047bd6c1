import * as Y from 'yjs';
import type { Logger } from '../log.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import type { DocAppend, SideRow } from '../store/index.ts';
import type { DocLog } from './DocLog.ts';
import type { SyncHooks } from './hooks.ts';

export interface PendingUpdate<R> {
	room: R;
	update: Uint8Array;
	/** Who wrote it: kept with the update up to the commit hooks. */
	origin: TransactionOrigin;
	/**
	 * The other writers whose updates were applied in the same transaction (a room applies one turn's updates of
	 * several sockets as one when no write rule needs them apart): their bytes are in `update` too.
	 */
	coWriters?: readonly TransactionOrigin[];
}

/** What a commit stored for one doc: its updates since the last commit, merged into one record. */
export interface StoredRecord {
	seq: number;
	update: Uint8Array;
}

export interface CommitTarget {
	readonly clinicId: string;
	readonly name: string;
	/**
	 * Called after the updates are durable, in order, with the one record they were stored as (its sequence and
	 * merged bytes, which are also what is relayed); relaying happens here and only here.
	 */
	committed(updates: PendingUpdate<this>[], record: StoredRecord): void;
	/** Called when the updates could not be stored: they must not be relayed. */
	failed(error: unknown): void;
	/** Applies what arrived since the last commit, which enqueues its updates here. */
	applyIncoming(): void;
}

/**
 * Every update of every doc is sealed and appended here; the updates that arrive during one turn of the
 * event loop share one transaction (one fsync), and one doc's updates of a commit are one record (one seal, one
 * row, one relayed message) with a side row per distinct writer. Only one commit is in flight, so records land
 * in order.
 * Each doc is appended in its own savepoint with its side rows (`SyncHooks.rowsFor`): a doc that fails is
 * rolled back and failed alone (SYNC-STORE-5, SYNC-STORE-6).
 */
export class GroupCommit<R extends CommitTarget> {
	readonly #log: DocLog;
	readonly #logger: Logger;
	readonly #hooks: readonly SyncHooks[];
	#queue: PendingUpdate<R>[] = [];
	#dirty = new Set<R>();
	#scheduled = false;
	#inFlight: Promise<void> | null = null;
	#idleWaiters: (() => void)[] = [];

	/** Figures for /metrics (frontdesk_sync_commits, frontdesk_sync_updates) and the benchmark. */
	readonly stats = { commits: 0, updates: 0 };

	constructor(log: DocLog, logger: Logger, hooks: readonly SyncHooks[] = []) {
		this.#log = log;
		this.#logger = logger;
		this.#hooks = hooks;
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
		// Prepared per doc: a clinic whose key cannot be had, or a hook that throws, fails its own docs only.
		const prepared: { room: R; entries: PendingUpdate<R>[]; merged: Uint8Array; append: DocAppend }[] = [];
		for (const [room, entries] of byRoom) {
			try {
				const merged = entries.length === 1 ? entries[0].update : Y.mergeUpdates(entries.map((e) => e.update));
				prepared.push({ room, entries, merged, append: await this.#prepare(room, entries, merged) });
			} catch (error) {
				this.#logger.error({ doc: room.name, err: errorSummary(error) }, 'preparing updates failed');
				room.failed(error);
			}
		}
		if (prepared.length === 0) return;
		let results;
		try {
			results = await this.#log.append(prepared.map((p) => p.append));
			this.stats.commits++;
		} catch (error) {
			// The transaction itself failed (disk full, I/O): nothing of it is stored.
			this.#logger.error({ err: errorSummary(error), docs: prepared.length }, 'storing updates failed');
			for (const { room } of prepared) room.failed(error);
			return;
		}
		prepared.forEach(({ room, entries, merged }, i) => {
			const result = results[i];
			if (!result.ok) {
				this.#logger.error(
					{ doc: room.name, err: errorSummary(result.error), updates: entries.length },
					'storing updates failed'
				);
				room.failed(result.error);
				return;
			}
			this.stats.updates += entries.length;
			room.committed(entries, { seq: result.seqs[0], update: merged });
		});
	}

	async #prepare(room: R, entries: PendingUpdate<R>[], merged: Uint8Array): Promise<DocAppend> {
		const seal = await this.#log.updateSealer(room.clinicId, room.name);
		const rowsOf = ({ update, origin, coWriters }: PendingUpdate<R>) =>
			[origin, ...(coWriters ?? [])].flatMap((writer) =>
				this.#hooks.flatMap(
					(hook) => hook.rowsFor?.({ docName: room.name, clinicId: room.clinicId, update, origin: writer }) ?? []
				)
			);
		let rows: SideRow[];
		if (entries.length === 1 && !entries[0].coWriters) {
			// The common case: one update from one writer.
			rows = rowsOf(entries[0]);
		} else {
			// The same writer twice in one record is one row.
			const distinct = new Map<string, SideRow>();
			for (const entry of entries) for (const row of rowsOf(entry)) distinct.set(JSON.stringify(row), row);
			rows = [...distinct.values()];
		}
		return { docName: room.name, clinicId: room.clinicId, updates: [{ update: merged, rows }], seal };
	}
}

const errorSummary = (error: unknown) => (error instanceof Error ? { name: error.name, message: error.message } : String(error));
