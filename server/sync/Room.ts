import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Logger } from '../log.ts';
import type { Connection } from './Connection.ts';
import type { DocLog } from './DocLog.ts';
import type { CommitTarget, GroupCommit, PendingUpdate } from './GroupCommit.ts';
import { encodeAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate, type IncomingMessage } from './messages.ts';

/** Transaction origin of state read back from the store: it is already durable and must not be stored again. */
const FROM_STORE = 'store';
/** Transaction origin of updates that arrived on this doc's sockets. */
const FROM_SOCKETS = 'remote';

export interface RoomDeps {
	log: DocLog;
	commit: GroupCommit<Room>;
	logger: Logger;
	compactAfterUpdates: number;
}

/**
 * One doc in memory and the sockets syncing it. Invariant: nothing reaches another socket before it is
 * durable — updates are relayed from `committed`, and a step-2 answer waits until no update is pending.
 */
export class Room implements CommitTarget {
	readonly name: string;
	readonly clinicId: string;
	readonly doc = new Y.Doc({ gc: true });
	readonly awareness: awarenessProtocol.Awareness;
	readonly connections = new Set<Connection>();
	readonly #deps: RoomDeps;
	#nextSeq = 1;
	/** Update records stored after the snapshot: what a compaction folds in. */
	#updatesSinceSnapshot = 0;
	#pending = 0;
	#afterCommit: (() => void)[] = [];
	/** Updates received since the last commit, applied together just before it (one merge, one transaction). */
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
		const { state, lastSeq, updates } = await deps.log.load(clinicId, name);
		if (state) Y.applyUpdate(room.doc, state, FROM_STORE);
		room.#nextSeq = lastSeq + 1;
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
		conn.send(encodeSyncStep1(this.doc));
		const states = this.awareness.getStates();
		if (states.size > 0) {
			conn.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...states.keys()])));
		}
	}

	leave(conn: Connection): void {
		this.connections.delete(conn);
		if (conn.awarenessClients.size > 0) {
			awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.awarenessClients], null);
		}
	}

	/** Applies one parsed message from a socket of this room. Throws only for invalid content. */
	receive(conn: Connection, message: IncomingMessage): void {
		switch (message.type) {
			case 'sync-step1':
				this.#whenCommitted(() => conn.send(encodeSyncStep2(this.doc, message.stateVector)));
				return;
			case 'sync-update':
				if (this.#incoming.push({ conn, update: message.update }) === 1) this.#deps.commit.markDirty(this);
				return;
			case 'awareness':
				awarenessProtocol.applyAwarenessUpdate(this.awareness, message.update, conn);
				return;
			case 'query-awareness':
				conn.send(
					encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()]))
				);
				return;
			case 'auth':
				return;
		}
	}

	/** Applies the updates received since the last commit as one; GroupCommit calls it right before committing. */
	applyIncoming(): void {
		const incoming = this.#incoming;
		this.#incoming = [];
		if (incoming.length === 0 || this.#closed) return;
		try {
			Y.applyUpdate(
				this.doc,
				incoming.length === 1 ? incoming[0].update : Y.mergeUpdates(incoming.map((i) => i.update)),
				FROM_SOCKETS
			);
		} catch (error) {
			// Each update decoded on arrival, so this is not expected; the senders are cut and resend on reconnect.
			this.#deps.logger.error(
				{ doc: this.name, err: error instanceof Error ? error.message : String(error) },
				'applying updates failed'
			);
			for (const { conn } of incoming) conn.close(1011, 'update could not be applied');
		}
	}

	readonly #onDocUpdate = (update: Uint8Array, origin: unknown) => {
		if (origin === FROM_STORE || this.#closed) return;
		this.#pending++;
		this.#deps.commit.enqueue({ room: this, seq: this.#nextSeq++, update, origin });
	};

	committed(entries: PendingUpdate<this>[]): void {
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

	readonly #onAwarenessUpdate = (
		{ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
		origin: unknown
	) => {
		const changed = added.concat(updated, removed);
		const conn = this.connections.has(origin as Connection) ? (origin as Connection) : null;
		if (conn) {
			for (const id of added) conn.awarenessClients.add(id);
			for (const id of removed) conn.awarenessClients.delete(id);
		}
		const message = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
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
			})
			.catch((error: unknown) => {
				this.#deps.logger.error(
					{ doc: this.name, err: error instanceof Error ? error.message : String(error) },
					'compaction failed'
				);
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
	}
}
