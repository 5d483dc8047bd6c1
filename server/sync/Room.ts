import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { SyncLimits } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { CloseCode } from '../../src/lib/domain/syncProtocol.ts';
import type { ClinicQuotas } from './ClinicQuotas.ts';
import type { Connection } from './Connection.ts';
import type { DocLog } from './DocLog.ts';
import type { CommitTarget, GroupCommit, PendingUpdate } from './GroupCommit.ts';
import {
	encodeAwareness,
	encodeAwarenessEntries,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeUpdate,
	type AwarenessEntry,
	type IncomingMessage
} from './messages.ts';

/** Transaction origin of state read back from the store: it is already durable and must not be stored again. */
const FROM_STORE = 'store';
/** Transaction origin of updates that arrived on this doc's sockets. */
const FROM_SOCKETS = 'remote';
/** Stored size of a record beyond its update: nonce and tag (AES-GCM), and the row's keys, roughly. */
const RECORD_OVERHEAD_BYTES = 64;

export interface RoomDeps {
	log: DocLog;
	commit: GroupCommit<Room>;
	logger: Logger;
	compactAfterUpdates: number;
	limits: SyncLimits;
	quotas: ClinicQuotas;
}

/**
 * One doc in memory and the sockets syncing it. Invariants:
 * - nothing reaches another socket before it is durable: updates are relayed from `committed`, and a step-1 or
 *   step-2 message waits until no update is pending, so a device never counts as stored what is not;
 * - a socket's update reaches the doc only after it applied cleanly, on its own, to a validation copy (the
 *   shadow) and left nothing pending there: a bad update closes its sender and leaves no trace, and an update
 *   whose dependencies are missing is held for its sender until they arrive, never served to anyone;
 * - a socket changes only the awareness states it introduced.
 */
export class Room implements CommitTarget {
	readonly name: string;
	readonly clinicId: string;
	readonly doc = new Y.Doc({ gc: true });
	readonly awareness: awarenessProtocol.Awareness;
	readonly connections = new Set<Connection>();
	readonly #deps: RoomDeps;
	/** A copy of `doc`, made when the first socket writes, on which every socket's update is tried first. */
	#shadow: Y.Doc | null = null;
	readonly #awarenessOwners = new Map<number, Connection>();
	#nextSeq = 1;
	/** Whether any record of the doc is stored (a new doc counts against the clinic's doc quota). */
	#stored = false;
	/** Update records stored after the snapshot: what a compaction folds in. */
	#updatesSinceSnapshot = 0;
	#pending = 0;
	#afterCommit: (() => void)[] = [];
	/** Updates received since the last commit, validated and applied together just before it. */
	#incoming: { conn: Connection; update: Uint8Array }[] = [];
	#compacting: Promise<void> | null = null;
	#closed = false;

	private constructor(name: string, clinicId: string, deps: RoomDeps) {
		this.name = name;
		this.clinicId = clinicId;
		this.#deps = deps;
		this.awareness = new awarenessProtocol.Awareness(this.doc);
		// The server is a peer without a presence of its own.
		this.awareness.setLocalState(null);
		this.doc.on('update', this.#onDocUpdate);
		this.awareness.on('update', this.#onAwarenessUpdate);
	}

	static async load(name: string, clinicId: string, deps: RoomDeps): Promise<Room> {
		const room = new Room(name, clinicId, deps);
		await deps.quotas.prepare(clinicId);
		const { state, lastSeq, updates } = await deps.log.load(clinicId, name);
		if (state) Y.applyUpdate(room.doc, state, FROM_STORE);
		room.#nextSeq = lastSeq + 1;
		room.#stored = lastSeq > 0;
		room.#updatesSinceSnapshot = updates;
		if (updates > deps.compactAfterUpdates) await room.compact();
		return room;
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** True while updates wait to be applied or committed, or a compaction runs. */
	get busy(): boolean {
		return this.#incoming.length > 0 || this.#pending > 0 || this.#compacting !== null;
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
		if (conn.awarenessClients.size > 0) {
			const ids = [...conn.awarenessClients];
			for (const id of ids) if (this.#awarenessOwners.get(id) === conn) this.#awarenessOwners.delete(id);
			conn.awarenessClients.clear();
			awarenessProtocol.removeAwarenessStates(this.awareness, ids, null);
		}
	}

	/** Handles one parsed message from a socket of this room. Throws only for invalid content. */
	receive(conn: Connection, message: IncomingMessage): void {
		switch (message.type) {
			case 'sync-step1':
				if (!conn.step1Rate.take())
					return conn.refuse('sync_queries_per_minute', CloseCode.tooManyRequests, 'too many sync requests');
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
		if (accepted.length > 0) awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(accepted), conn);
	}

	/**
	 * Applies the updates received since the last commit; GroupCommit calls it right before committing. Each
	 * socket's update is tried on the shadow on its own; only what applied cleanly there reaches the doc, as one
	 * update.
	 */
	applyIncoming(): void {
		const incoming = this.#incoming;
		this.#incoming = [];
		if (this.#closed) return;
		// Held updates of quiet sockets are retried too: what they waited for may have come from another socket.
		const work: { conn: Connection; update: Uint8Array | null }[] = [];
		const sending = new Set(incoming.map((i) => i.conn));
		for (const conn of this.connections) if (conn.held && !sending.has(conn)) work.push({ conn, update: null });
		work.push(...incoming);
		if (work.length === 0) return;

		const verdict = incoming.length > 0 ? this.#deps.quotas.check(this.clinicId, !this.#stored && this.#nextSeq === 1) : 'ok';
		if (verdict !== 'ok') {
			for (const conn of sending) conn.refuse(verdict, CloseCode.quotaExceeded, 'the clinic storage quota is reached');
			return;
		}

		const accepted: Accepted[] = [];
		for (const { conn, update } of work) {
			if (!conn.isClosed) this.#tryOnShadow(conn, update, accepted);
		}
		if (accepted.length === 0) return;
		try {
			// The same updates in the same order as on the shadow, pending parts dropped at the same points: the doc
			// ends exactly as the shadow did, in one transaction (one stored and relayed update).
			this.doc.transact(() => replay(this.doc, accepted), FROM_SOCKETS);
		} catch (error) {
			// The shadow took these very updates: this is a bug, not a bad peer. Drop the doc; devices resend.
			this.#deps.logger.error({ doc: this.name, err: errorMessage(error) }, 'validated updates failed to apply');
			this.failed();
		}
	}

	#tryOnShadow(conn: Connection, update: Uint8Array | null, accepted: Accepted[]): void {
		const shadow = (this.#shadow ??= copyOf(this.doc));
		const held = conn.held;
		let entry: Accepted;
		try {
			// Converting and merging read the whole update too: they throw on the same bad input as applying.
			entry = held
				? { v2: true, bytes: update ? Y.mergeUpdatesV2([held, Y.convertUpdateFormatV1ToV2(update)]) : held }
				: { v2: false, bytes: update! };
			apply(shadow, entry);
		} catch (error) {
			// Yjs may have integrated part of it before it threw: rebuild the shadow from the doc and what passed.
			this.#shadow = copyOf(this.doc);
			replay(this.#shadow, accepted);
			this.#deps.logger.warn(
				{ doc: this.name, userId: conn.identity.userId, err: errorMessage(error) },
				'update failed to apply'
			);
			conn.reject('update could not be applied');
			return;
		}
		accepted.push(entry);
		const { pendingStructs, pendingDs } = shadow.store;
		if (!pendingStructs && !pendingDs) {
			conn.held = null;
			return;
		}
		// Parts that depend on changes this socket has not sent: never in the doc, kept for the socket alone.
		shadow.store.pendingStructs = null;
		shadow.store.pendingDs = null;
		const rest = [pendingStructs?.update, pendingDs].filter((u): u is Uint8Array => u != null);
		const remainder = rest.length === 1 ? rest[0] : Y.mergeUpdatesV2(rest);
		if (remainder.length > this.#deps.limits.maxBacklogBytes) {
			conn.refuse('sync_max_backlog_bytes', CloseCode.resync, 'update depends on changes that were not sent');
		} else {
			conn.held = remainder;
		}
	}

	readonly #onDocUpdate = (update: Uint8Array, origin: unknown) => {
		if (origin === FROM_STORE || this.#closed) return;
		// The server's own writes reach the shadow here; sockets' updates were applied to it first.
		if (origin !== FROM_SOCKETS && this.#shadow) Y.applyUpdate(this.#shadow, update);
		this.#pending++;
		this.#deps.commit.enqueue({ room: this, seq: this.#nextSeq++, update, origin });
	};

	committed(entries: PendingUpdate<this>[]): void {
		let bytes = 0;
		for (const e of entries) bytes += e.update.length + RECORD_OVERHEAD_BYTES;
		this.#deps.quotas.stored(this.clinicId, bytes, !this.#stored);
		this.#stored = true;
		this.#updatesSinceSnapshot += entries.length;
		this.#pending -= entries.length;
		this.#relay(entries);
		if (this.#pending === 0) {
			const waiting = this.#afterCommit;
			this.#afterCommit = [];
			for (const run of waiting) run();
			if (this.#updatesSinceSnapshot > this.#deps.compactAfterUpdates) void this.compact();
		}
	}

	failed(): void {
		// The doc now holds state that is not durable: drop it. Clients still hold their edits and resend them on reconnect.
		this.#pending = 0;
		this.#afterCommit = [];
		this.#incoming = [];
		for (const conn of this.connections) conn.close(1011, 'storage failed');
		this.close();
	}

	/**
	 * Sends every socket of the doc, writers included, the committed updates as one message. The writer's echo is its
	 * acknowledgement: its device reads from it what the server has stored (as the reference server, it echoes).
	 */
	#relay(entries: PendingUpdate<this>[]): void {
		if (this.connections.size === 0) return;
		const message = encodeUpdate(entries.length === 1 ? entries[0].update : Y.mergeUpdates(entries.map((e) => e.update)));
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
		if (this.#pending === 0) run();
		else this.#afterCommit.push(run);
	}

	/** Rewrites the stored log as one snapshot of the current (durable) state. */
	compact(): Promise<void> {
		if (this.#compacting) return this.#compacting;
		if (this.#pending > 0 || this.#updatesSinceSnapshot === 0 || this.#closed) return Promise.resolve();
		const seq = this.#nextSeq - 1;
		const state = Y.encodeStateAsUpdate(this.doc);
		this.#compacting = this.#deps.log
			.compact(this.clinicId, this.name, seq, state)
			.then(() => {
				this.#updatesSinceSnapshot = this.#nextSeq - 1 - seq;
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
		this.doc.off('update', this.#onDocUpdate);
		this.awareness.off('update', this.#onAwarenessUpdate);
		this.awareness.destroy();
		this.doc.destroy();
		this.#shadow?.destroy();
		this.#shadow = null;
	}
}

/** An update that applied cleanly on the shadow; held parts come back in Yjs's V2 encoding. */
interface Accepted {
	v2: boolean;
	bytes: Uint8Array;
}

function apply(doc: Y.Doc, entry: Accepted): void {
	if (entry.v2) Y.applyUpdateV2(doc, entry.bytes);
	else Y.applyUpdate(doc, entry.bytes);
}

/** Applies accepted updates in order, dropping what stays pending after each (it is held for its sender). */
function replay(doc: Y.Doc, accepted: Accepted[]): void {
	for (const entry of accepted) {
		apply(doc, entry);
		doc.store.pendingStructs = null;
		doc.store.pendingDs = null;
	}
}

function copyOf(doc: Y.Doc): Y.Doc {
	const copy = new Y.Doc({ gc: true });
	Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
	return copy;
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
