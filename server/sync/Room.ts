import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { SyncLimits } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { CloseCode } from '../../src/lib/domain/syncProtocol.ts';
import { parseDocName, type DocKind } from '../../src/lib/domain/docName.ts';
import { kindSpec } from '../../src/lib/domain/kinds.ts';
import { isOrigin, STORE_ORIGIN, type TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { errorMessage } from '../errors.ts';
import { WriteRefused, type SyncHooks } from './hooks.ts';
import type { ClinicQuotas } from './ClinicQuotas.ts';
import type { Connection } from './Connection.ts';
import type { DocLog } from './DocLog.ts';
import type { CommitTarget, GroupCommit, PendingUpdate, StoredRecord } from './GroupCommit.ts';
import {
	encodeAwareness,
	encodeAwarenessEntries,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeUpdate,
	type AwarenessEntry,
	type IncomingMessage
} from './messages.ts';

/** Stored size of a record beyond its update: nonce and tag (AES-GCM), and the row's keys, roughly. */
const RECORD_OVERHEAD_BYTES = 64;

export interface RoomDeps {
	log: DocLog;
	commit: GroupCommit<Room>;
	logger: Logger;
	compactAfterUpdates: number;
	limits: SyncLimits;
	quotas: ClinicQuotas;
	hooks: readonly SyncHooks[];
}

/**
 * One doc in memory and the sockets syncing it. Invariants:
 * - nothing reaches another socket before it is durable: updates are relayed from `committed`, and a step-1 or
 *   step-2 message waits until no update is pending, so a device never counts as stored what is not;
 * - a socket's update that fails to apply closes its sender and leaves no trace: the batch it was in is dropped
 *   before it is stored, the doc is read back from the store, and the other updates are applied again;
 * - what depends on changes the server does not have is held for its sender, never served or stored;
 * - a socket changes only the awareness states it introduced;
 * - a socket's presence reaches the others after the changes it sent before it (SYNC-PRESENCE-ORDER-1): a caret
 *   never points at text they do not have yet.
 */
export class Room implements CommitTarget {
	readonly name: string;
	readonly kind: DocKind;
	readonly clinicId: string;
	readonly awareness: awarenessProtocol.Awareness;
	readonly connections = new Set<Connection>();
	readonly #deps: RoomDeps;
	/** The doc in memory; replaced by a copy read back from the store when a bad update may have touched it. */
	#doc: Y.Doc;
	/** The first doc, which the awareness is bound to (for its client id only); destroyed with the room. */
	readonly #firstDoc: Y.Doc;
	/** While socket updates are applied, the doc's output waits here: a failed batch is dropped, not stored. */
	#stash: { update: Uint8Array; origin: TransactionOrigin; coWriters?: readonly TransactionOrigin[] }[] | null = null;
	/** Server-side handles holding the doc open (it does not unload while held). */
	#holders = 0;
	/**
	 * Updates this room enqueued and how many of them are stored (ordinals, not sequence numbers: those come from
	 * the store with the commit), and who waits for a later one.
	 */
	#enqueued = 0;
	#durable = 0;
	#durableWaiters: { ordinal: number; resolve: () => void; reject: (error: Error) => void }[] = [];
	/**
	 * The store's sequence number up to which this room holds every record: a compaction folds in no more, so a
	 * record another process appended (which this room has not applied) is never replaced by a snapshot without it.
	 */
	#storedSeq = 0;
	#failure: Error | null = null;
	/** Set while the doc is rebuilt from the store after a failed update: nothing is applied or answered meanwhile. */
	#recovering = false;
	#drained: (() => void)[] = [];
	readonly #awarenessOwners = new Map<number, Connection>();
	/** Whether any record of the doc is stored (a new doc counts against the clinic's doc quota). */
	#stored = false;
	/** Update records stored after the snapshot: what a compaction folds in. */
	#updatesSinceSnapshot = 0;
	#pending = 0;
	#afterCommit: (() => void)[] = [];
	/** Updates received since the last commit, validated and applied together just before it. */
	#incoming: { conn: Connection; update: Uint8Array }[] = [];
	/** The ordinal of the last update each socket's changes were enqueued in. */
	readonly #lastWriteOf = new WeakMap<Connection, number>();
	/**
	 * Presence a socket sent while a change it sent before was not yet relayed: the latest state of each of its client
	 * ids (a state replaces the one before, so at most `maxAwarenessClients` wait), and the ordinal to wait for (null
	 * while that change waits to be applied).
	 */
	readonly #presenceAfterWrite = new Map<Connection, { after: number | null; latest: Map<number, AwarenessEntry> }>();
	#compacting: Promise<void> | null = null;
	#closed = false;

	private constructor(name: string, clinicId: string, deps: RoomDeps) {
		const parsed = parseDocName(name);
		if (!parsed) throw new Error(`not a valid doc name: ${name}`);
		this.name = name;
		// Parsed once: hooks on the hot path are told the kind instead of parsing the name per update.
		this.kind = parsed.kind;
		this.clinicId = clinicId;
		this.#deps = deps;
		this.#doc = this.#newDoc();
		this.#firstDoc = this.#doc;
		this.awareness = new awarenessProtocol.Awareness(this.#doc);
		// The server is a peer without a presence of its own.
		this.awareness.setLocalState(null);
		this.#doc.on('update', this.#onDocUpdate);
		this.awareness.on('update', this.#onAwarenessUpdate);
	}

	static async load(name: string, clinicId: string, deps: RoomDeps): Promise<Room> {
		const room = new Room(name, clinicId, deps);
		await deps.quotas.prepare(clinicId);
		const { state, lastSeq, updates } = await deps.log.load(clinicId, name);
		if (state) Y.applyUpdate(room.doc, state, STORE_ORIGIN);
		room.#storedSeq = lastSeq;
		room.#stored = lastSeq > 0;
		room.#updatesSinceSnapshot = updates;
		if (updates > deps.compactAfterUpdates) await room.compact();
		for (const hook of deps.hooks) {
			try {
				hook.onLoaded?.({ docName: name, clinicId, kind: room.kind, doc: room.doc });
			} catch (error) {
				deps.logger.error({ doc: name, err: errorMessage(error) }, 'onLoaded hook failed');
			}
		}
		return room;
	}

	get doc(): Y.Doc {
		return this.#doc;
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** True while updates wait to be applied or committed, a compaction runs, the doc is rebuilt, or a handle holds it. */
	get busy(): boolean {
		return this.#incoming.length > 0 || this.#pending > 0 || this.#compacting !== null || this.#recovering || this.#holders > 0;
	}

	/** The ordinal of the last update enqueued (what a writer waits for to be durable, with `whenStored`). */
	get lastEnqueued(): number {
		return this.#enqueued;
	}

	hold(): void {
		this.#holders++;
	}

	unhold(): void {
		this.#holders = Math.max(0, this.#holders - 1);
	}

	/** Resolves once the updates enqueued up to `ordinal` (see `lastEnqueued`) are stored; rejects if the doc failed first. */
	whenStored(ordinal: number): Promise<void> {
		if (ordinal <= this.#durable) return Promise.resolve();
		if (this.#failure || this.#closed) return Promise.reject(this.#failure ?? new Error(`doc ${this.name} is closed`));
		return new Promise((resolve, reject) => this.#durableWaiters.push({ ordinal, resolve, reject }));
	}

	/** Resolves when the doc may be written by the server: not while it is rebuilt from the store. */
	settled(): Promise<void> {
		return new Promise((resolve) => this.#whenCommitted(resolve));
	}

	join(conn: Connection): void {
		this.connections.add(conn);
		this.#whenCommitted(() => {
			if (!this.connections.has(conn)) return;
			conn.send(encodeSyncStep1(this.doc));
			const states = this.awareness.getStates();
			if (states.size > 0) {
				conn.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...states.keys()])));
			}
		});
	}

	leave(conn: Connection): void {
		this.connections.delete(conn);
		this.#presenceAfterWrite.delete(conn);
		if (conn.awarenessClients.size > 0) {
			const ids = [...conn.awarenessClients];
			for (const id of ids) if (this.#awarenessOwners.get(id) === conn) this.#awarenessOwners.delete(id);
			conn.awarenessClients.clear();
			awarenessProtocol.removeAwarenessStates(this.awareness, ids, null);
			// Forget their clocks too: the device that comes back announces itself under the clock it had, which the
			// kept clock would make look old, and it would stay invisible until its next renewal (PRESENCE-RECONNECT-1).
			for (const id of ids) this.awareness.meta.delete(id);
		}
	}

	/** Handles one parsed message from a socket of this room. Throws only for invalid content. */
	receive(conn: Connection, message: IncomingMessage): void {
		switch (message.type) {
			case 'sync-step1':
				if (!conn.step1Rate.take())
					return conn.refuse('sync_queries_per_minute', CloseCode.tooManyRequests, 'too many sync requests');
				// A step 1 asks about the updates sent before it too (a device confirming its deletions, SYNC-ANSWER-1):
				// they are applied now, not at the next group commit, so the answer waits for them to be stored.
				if (this.#incoming.length > 0) this.applyIncoming();
				this.#whenCommitted(() => conn.send(encodeSyncStep2(this.doc, message.stateVector)));
				return;
			case 'sync-update':
				// Every client answers step 1 with a step 2, empty when it has nothing new: that is not a write.
				if (message.empty) return;
				if (!conn.identity.mayWrite) {
					this.#deps.logger.info({ doc: this.name, userId: conn.identity.userId }, 'refused a write to a read-only doc');
					return conn.close(CloseCode.readOnly, 'this doc is read-only for your role');
				}
				if (this.#incoming.push({ conn, update: message.update }) === 1) this.#deps.commit.markDirty(this);
				return;
			case 'awareness':
				this.#receiveAwareness(conn, message.entries);
				return;
			case 'query-awareness':
				if (!conn.queryAwarenessRate.take()) {
					return conn.refuse('sync_queries_per_minute', CloseCode.tooManyRequests, 'too many awareness queries');
				}
				conn.send(
					encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()]))
				);
				return;
			case 'auth':
				return;
		}
	}

	/**
	 * Takes a socket's presence entries: each state is bounded, a socket may introduce only a few client ids, and
	 * it may change only its own. An id held by another socket of the same session moves over (the device
	 * reconnected before its old socket was found dead); one held by someone else is ignored.
	 */
	#receiveAwareness(conn: Connection, entries: AwarenessEntry[]): void {
		const { maxAwarenessStateBytes, maxAwarenessClients } = this.#deps.limits;
		let bytes = 0;
		for (const e of entries) {
			const size = Buffer.byteLength(e.state);
			if (size > maxAwarenessStateBytes) {
				return conn.refuse('sync_max_awareness_state_bytes', CloseCode.tooLarge, 'presence state too large');
			}
			bytes += size;
		}
		if (!conn.awarenessRate.take(bytes)) {
			return conn.refuse('sync_max_awareness_state_bytes', CloseCode.tooManyRequests, 'presence updates too fast');
		}
		const accepted: AwarenessEntry[] = [];
		for (const e of entries) {
			const owner = this.#awarenessOwners.get(e.clientId);
			if (owner === conn) {
				accepted.push(e);
			} else if (owner && owner.identity.sessionId !== conn.identity.sessionId) {
				this.#deps.logger.warn(
					{ doc: this.name, userId: conn.identity.userId },
					'ignored presence for a client of another session'
				);
			} else if (e.clientId === this.awareness.clientID || (!owner && e.state === 'null')) {
				// The server's own id, or the removal of a presence nobody holds: nothing to do.
			} else {
				if (!owner && conn.awarenessClients.size >= maxAwarenessClients) {
					return conn.refuse('sync_max_awareness_clients', CloseCode.tooManyRequests, 'too many presences');
				}
				owner?.awarenessClients.delete(e.clientId);
				this.#awarenessOwners.set(e.clientId, conn);
				conn.awarenessClients.add(e.clientId);
				accepted.push(e);
			}
		}
		if (accepted.length > 0) this.#presenceInOrder(conn, accepted);
	}

	/**
	 * Applies (and so relays) a socket's presence once every change it sent before is relayed. A caret is a position
	 * in the text after the keystroke: relayed at once, it overtook the keystroke (which waits to be durable), the
	 * others could not place it, and every keystroke drew each colleague's screen twice, the caret gone in between.
	 */
	#presenceInOrder(conn: Connection, entries: AwarenessEntry[]): void {
		const waiting = this.#presenceAfterWrite.get(conn);
		const unapplied = this.#incoming.some((i) => i.conn === conn);
		if (waiting) {
			// Only the latest state waits; it waits for the newest change before it. A socket that writes without a
			// pause has its presence relayed at its first pause (memory stays bounded by `latest`).
			for (const e of entries) waiting.latest.set(e.clientId, e);
			if (unapplied) waiting.after = null;
			return;
		}
		const lastWrite = this.#lastWriteOf.get(conn) ?? 0;
		if (!unapplied && lastWrite <= this.#durable) {
			awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(entries), conn);
			return;
		}
		this.#presenceAfterWrite.set(conn, {
			after: unapplied ? null : lastWrite,
			latest: new Map(entries.map((e) => [e.clientId, e]))
		});
		if (!unapplied) this.#presenceWhenStored(conn, lastWrite);
	}

	#presenceWhenStored(conn: Connection, ordinal: number): void {
		const release = () => {
			const waiting = this.#presenceAfterWrite.get(conn);
			if (!waiting || waiting.after !== ordinal) return;
			this.#presenceAfterWrite.delete(conn);
			if (conn.isClosed || !this.connections.has(conn)) return;
			// Still its own: a presence another socket of the session took over meanwhile is not put back.
			const own = [...waiting.latest.values()].filter((e) => this.#awarenessOwners.get(e.clientId) === conn);
			if (own.length > 0) awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(own), conn);
		};
		this.whenStored(ordinal).then(release, () => this.#presenceAfterWrite.delete(conn));
	}

	/**
	 * Applies the updates received since the last commit; GroupCommit calls it right before committing. Where a
	 * write rule applies to the doc's kind, each socket's update is applied in its own transaction and checked as
	 * its writer's; elsewhere the turn's updates are one transaction (one stored and relayed update, every socket
	 * named as a writer). What depends on changes a socket has not sent is taken out and held for it. An update that throws may have been
	 * integrated in part, so then nothing of the batch is kept: its sender is closed, the doc is read back from the
	 * store, and the other updates of the batch are applied again.
	 */
	applyIncoming(): void {
		if (this.#closed || this.#recovering) return;
		const incoming = this.#incoming;
		this.#incoming = [];
		// Held updates of quiet sockets are retried too: what they waited for may have come from another socket.
		const work: { conn: Connection; update: Uint8Array | null }[] = [];
		const sending = new Set(incoming.map((i) => i.conn));
		for (const conn of this.connections) if (conn.held && !sending.has(conn)) work.push({ conn, update: null });
		work.push(...incoming);
		if (work.length === 0) return;

		const verdict = incoming.length > 0 ? this.#deps.quotas.check(this.clinicId, !this.#stored && this.#enqueued === 0) : 'ok';
		if (verdict !== 'ok') {
			for (const conn of sending) conn.refuse(verdict, CloseCode.quotaExceeded, 'the clinic storage quota is reached');
			return;
		}

		const heldBefore = new Map(work.map(({ conn }) => [conn, conn.held]));
		const ruled = this.#deps.hooks.filter((h) => h.checkWrite && (!h.writeRuleKinds || h.writeRuleKinds.includes(this.kind)));
		let current: Connection | null = null;
		this.#stash = [];
		try {
			if (ruled.length === 0) {
				// No rule needs each socket's changes apart: one transaction (one update, nothing to merge) for the
				// turn, and every socket in it is named as a writer of the stored record (SYNC-STORE-6).
				const writers = work.filter(({ conn }) => !conn.isClosed).map(({ conn }) => conn);
				if (writers.length > 0) {
					this.#doc.transact(() => {
						for (const { conn, update } of work) {
							if (conn.isClosed) continue;
							current = conn;
							this.#applyFrom(conn, update);
						}
					}, writers[0].origin);
				}
				const coWriters = distinctOrigins(
					writers.slice(1).map((c) => c.origin),
					writers[0]?.origin
				);
				if (coWriters.length > 0) for (const entry of this.#stash) entry.coWriters = coWriters;
			} else {
				// One transaction per socket: each update is checked against the rules as its writer's.
				for (const { conn, update } of work) {
					if (conn.isClosed) continue;
					current = conn;
					this.#doc.transact((transaction) => {
						this.#applyFrom(conn, update);
						for (const hook of ruled) {
							hook.checkWrite?.({
								docName: this.name,
								clinicId: this.clinicId,
								kind: this.kind,
								transaction,
								identity: conn.identity
							});
						}
					}, conn.origin);
				}
			}
		} catch (error) {
			this.#stash = null;
			for (const [conn, held] of heldBefore) conn.held = held;
			const culprit = current as Connection | null;
			this.#deps.logger.warn(
				{ doc: this.name, userId: culprit?.identity.userId, err: errorMessage(error) },
				error instanceof WriteRefused ? 'update refused by a write rule' : 'update failed to apply'
			);
			if (error instanceof WriteRefused) culprit?.refuseWrite(error.message);
			else culprit?.reject('update could not be applied');
			// The others' updates wait for the rebuilt doc; held-only entries are recreated from `held`.
			this.#incoming = incoming.filter((i) => i.conn !== culprit).concat(this.#incoming);
			void this.#recover();
			return;
		}
		const output = this.#stash;
		this.#stash = null;
		for (const { update, origin, coWriters } of output) this.#enqueue(update, origin, coWriters);
		for (const conn of sending) {
			this.#lastWriteOf.set(conn, this.#enqueued);
			const waiting = this.#presenceAfterWrite.get(conn);
			if (waiting && waiting.after !== this.#enqueued) {
				waiting.after = this.#enqueued;
				this.#presenceWhenStored(conn, this.#enqueued);
			}
		}
	}

	/** Applies one socket's update (after what it held) and takes out what still depends on changes not sent. */
	#applyFrom(conn: Connection, update: Uint8Array | null): void {
		const held = conn.held;
		const doc = this.#doc;
		if (held) Y.applyUpdateV2(doc, update ? Y.mergeUpdatesV2([held, Y.convertUpdateFormatV1ToV2(update)]) : held);
		else if (update) Y.applyUpdate(doc, update);
		const { pendingStructs, pendingDs } = doc.store;
		if (!pendingStructs && !pendingDs) {
			conn.held = null;
			return;
		}
		doc.store.pendingStructs = null;
		doc.store.pendingDs = null;
		const rest = [pendingStructs?.update, pendingDs].filter((u): u is Uint8Array => u != null);
		const remainder = rest.length === 1 ? rest[0] : Y.mergeUpdatesV2(rest);
		if (remainder.length > this.#deps.limits.maxBacklogBytes) {
			conn.refuse('sync_max_backlog_bytes', CloseCode.resync, 'update depends on changes that were not sent');
		} else {
			conn.held = remainder;
		}
	}

	/**
	 * Replaces the doc by what the store holds, once everything enqueued before is committed. Meanwhile nothing
	 * is applied, answered or written by the server; the sockets have only ever seen committed state, so they stay.
	 */
	async #recover(): Promise<void> {
		this.#recovering = true;
		try {
			if (this.#pending > 0) await new Promise<void>((resolve) => this.#drained.push(resolve));
			if (this.#closed) return;
			const { state, lastSeq } = await this.#deps.log.load(this.clinicId, this.name);
			if (this.#closed) return;
			this.#storedSeq = lastSeq;
			const doc = this.#newDoc();
			if (state) Y.applyUpdate(doc, state, STORE_ORIGIN);
			this.#doc.off('update', this.#onDocUpdate);
			if (this.#doc !== this.#firstDoc) this.#doc.destroy();
			this.#doc = doc;
			doc.on('update', this.#onDocUpdate);
		} catch (error) {
			this.#deps.logger.error({ doc: this.name, err: errorMessage(error) }, 'rebuilding the doc failed');
			this.#recovering = false;
			this.failed();
			return;
		}
		this.#recovering = false;
		this.#runAfterCommit();
		if (this.#incoming.length > 0 || [...this.connections].some((c) => c.held)) this.#deps.commit.markDirty(this);
	}

	/** Kinds whose earlier versions are viewed (notes) keep what was deleted, which their snapshots show. */
	#newDoc(): Y.Doc {
		return new Y.Doc({ gc: !kindSpec(this.kind).keepHistory });
	}

	readonly #onDocUpdate = (update: Uint8Array, origin: unknown) => {
		if (isOrigin(origin, 'store') || this.#closed) return;
		// Every writer names itself (SyncServer.open, a socket); anything else is a bug, stored as the server's own.
		const named: TransactionOrigin = isTransactionOrigin(origin) ? origin : { source: 'job', name: 'unnamed' };
		if (this.#stash) this.#stash.push({ update, origin: named });
		else this.#enqueue(update, named);
	};

	#enqueue(update: Uint8Array, origin: TransactionOrigin, coWriters?: readonly TransactionOrigin[]): void {
		this.#pending++;
		this.#enqueued++;
		this.#deps.commit.enqueue(coWriters ? { room: this, update, origin, coWriters } : { room: this, update, origin });
	}

	committed(entries: PendingUpdate<this>[], record: StoredRecord): void {
		this.#deps.quotas.stored(this.clinicId, record.update.length + RECORD_OVERHEAD_BYTES, !this.#stored);
		this.#stored = true;
		this.#updatesSinceSnapshot++;
		this.#pending -= entries.length;
		this.#durable += entries.length;
		// The store hands out one doc's sequences in order; a gap means another process appended in between.
		if (record.seq === this.#storedSeq + 1) this.#storedSeq = record.seq;
		else this.#deps.logger.warn({ doc: this.name, after: this.#storedSeq, got: record.seq }, 'another process wrote this doc');
		for (const e of entries) {
			for (const hook of this.#deps.hooks) {
				try {
					hook.onCommitted?.({
						docName: this.name,
						clinicId: this.clinicId,
						kind: this.kind,
						update: e.update,
						origin: e.origin,
						...(e.coWriters ? { coWriters: e.coWriters } : {})
					});
				} catch (error) {
					this.#deps.logger.error({ doc: this.name, err: errorMessage(error) }, 'onCommitted hook failed');
				}
			}
		}
		this.#durableWaiters = this.#durableWaiters.filter((w) => (w.ordinal <= this.#durable ? (w.resolve(), false) : true));
		this.#relay(record.update);
		if (this.#pending === 0) {
			for (const resolve of this.#drained.splice(0)) resolve();
			this.#runAfterCommit();
		}
	}

	#runAfterCommit(): void {
		if (this.#pending > 0 || this.#recovering) return;
		const waiting = this.#afterCommit;
		this.#afterCommit = [];
		for (const run of waiting) run();
		if (this.#updatesSinceSnapshot > this.#deps.compactAfterUpdates) void this.compact();
	}

	failed(error?: unknown): void {
		// The doc now holds state that is not durable: drop it. Clients still hold their edits and resend them on reconnect.
		this.#failure = new Error(`storing ${this.name} failed: ${error === undefined ? 'unknown error' : errorMessage(error)}`);
		for (const w of this.#durableWaiters.splice(0)) w.reject(this.#failure);
		this.#pending = 0;
		this.#recovering = false;
		this.#afterCommit = [];
		this.#incoming = [];
		for (const conn of this.connections) conn.close(CloseCode.internalError, 'storage failed');
		this.close();
	}

	/**
	 * Sends every socket of the doc, writers included, the committed updates as one message. The writer's echo is its
	 * acknowledgement: its device reads from it what the server has stored (as the reference server, it echoes).
	 */
	#relay(update: Uint8Array): void {
		if (this.connections.size === 0) return;
		const message = encodeUpdate(update);
		for (const conn of this.connections) conn.send(message);
	}

	readonly #onAwarenessUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
		for (const id of removed) {
			const owner = this.#awarenessOwners.get(id);
			owner?.awarenessClients.delete(id);
			this.#awarenessOwners.delete(id);
		}
		const message = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, added.concat(updated, removed)));
		for (const c of this.connections) c.send(message);
	};

	#whenCommitted(run: () => void): void {
		if (this.#pending === 0 && !this.#recovering) run();
		else this.#afterCommit.push(run);
	}

	/** Rewrites the stored log as one snapshot of the current (durable) state. */
	compact(): Promise<void> {
		if (this.#compacting) return this.#compacting;
		if (this.#pending > 0 || this.#recovering || this.#updatesSinceSnapshot === 0 || this.#closed) return Promise.resolve();
		const seq = this.#storedSeq;
		const folded = this.#updatesSinceSnapshot;
		const state = Y.encodeStateAsUpdate(this.doc);
		this.#compacting = this.#deps.log
			.compact(this.clinicId, this.name, seq, state)
			.then(() => {
				this.#updatesSinceSnapshot -= folded;
				this.#deps.quotas.compacted(this.clinicId);
			})
			.catch((error: unknown) => {
				this.#deps.logger.error({ doc: this.name, err: errorMessage(error) }, 'compaction failed');
			})
			.finally(() => {
				this.#compacting = null;
			});
		return this.#compacting;
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#doc.off('update', this.#onDocUpdate);
		this.awareness.off('update', this.#onAwarenessUpdate);
		this.awareness.destroy();
		this.#doc.destroy();
		if (this.#firstDoc !== this.#doc) this.#firstDoc.destroy();
		for (const resolve of this.#drained.splice(0)) resolve();
		const closed = this.#failure ?? new Error(`doc ${this.name} was closed before the write was stored`);
		for (const w of this.#durableWaiters.splice(0)) w.reject(closed);
	}
}

const SOURCES: ReadonlySet<string> = new Set(['store', 'connection', 'channel', 'google', 'job']);
const isTransactionOrigin = (origin: unknown): origin is TransactionOrigin =>
	typeof origin === 'object' && origin !== null && SOURCES.has((origin as { source?: unknown }).source as string);

/** Each writer once (a user's several sockets of one session are one writer), without `first`. */
function distinctOrigins(origins: readonly TransactionOrigin[], first: TransactionOrigin | undefined): TransactionOrigin[] {
	const seen = new Set(first ? [JSON.stringify(first)] : []);
	const out: TransactionOrigin[] = [];
	for (const origin of origins) {
		const key = JSON.stringify(origin);
		if (!seen.has(key)) {
			seen.add(key);
			out.push(origin);
		}
	}
	return out;
}
