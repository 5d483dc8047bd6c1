import { WebSocket, type RawData } from 'ws';
import type { EventEmitter } from 'node:events';
import type { SyncLimits } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { CloseCode } from '../../src/lib/domain/syncProtocol.ts';
import type { Role } from '../../src/lib/domain/roles.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { BadMessage, parseMessage } from './messages.ts';
import type { Room } from './Room.ts';
import { TokenBucket } from './TokenBucket.ts';

export interface ConnectionIdentity {
	sessionId: string;
	userId: string;
	clinicId: string;
	docName: string;
	role: Role;
	/** False for a role (or a hook) that may only read this doc: its non-empty updates are refused with 4405. */
	mayWrite: boolean;
}

/** Reports a bound that was hit (logged and counted under the setting's name) — shared by every socket. */
export interface LimitReporter {
	readonly limits: SyncLimits;
	hit(limit: string, context: { doc: string; userId: string }): void;
}

/**
 * What a Connection needs of its socket: a `ws` socket (`/sync/<doc>`), or one doc's channel on a multiplexed
 * socket (`MuxSocket`), which behaves the same.
 */
export interface SyncSocket extends Pick<EventEmitter, 'on' | 'once'> {
	binaryType: string;
	readonly readyState: number;
	readonly bufferedAmount: number;
	send(message: Uint8Array, options: { binary: boolean }, done: (error?: Error) => void): void;
	ping(): void;
	close(code: number, reason: string): void;
	terminate(): void;
}

/** Bursts of step-1 and query-awareness messages a socket may send before the per-minute rate applies. */
const QUERY_BURST = 10;
/** Grace for a peer to answer the close handshake before its socket is cut. */
const CLOSE_GRACE_MS = 2000;

/**
 * One authorized socket syncing one doc. Everything it can make the server hold is bounded: what waits to be
 * sent to it, what it sends while its doc loads, its query rate, its awareness. An invalid message or a bound
 * hit closes this socket only.
 */
export class Connection {
	readonly identity: ConnectionIdentity;
	/** The origin of what this socket writes: its updates are stored as written by this user and session. */
	readonly origin: TransactionOrigin;
	/** Awareness client ids this socket introduced: only it may change them, and they leave with it. */
	readonly awarenessClients = new Set<number>();
	/**
	 * What this socket sent that depends on changes it has not sent yet (Yjs update, V2 encoding), held out of the
	 * doc until they arrive; dropped when the socket closes (the device still has it and sends it again).
	 */
	held: Uint8Array | null = null;
	readonly step1Rate: TokenBucket;
	readonly queryAwarenessRate: TokenBucket;
	/** Bytes of awareness states per second: presence is relayed to every socket of the doc. */
	readonly awarenessRate: TokenBucket;
	readonly closedPromise: Promise<void>;
	readonly #socket: SyncSocket;
	readonly #logger: Logger;
	readonly #reporter: LimitReporter;
	#room: Room | null = null;
	#backlog: Uint8Array[] = [];
	#backlogBytes = 0;
	#closed = false;
	#alive = true;

	constructor(socket: SyncSocket, identity: ConnectionIdentity, logger: Logger, reporter: LimitReporter) {
		this.#socket = socket;
		this.identity = identity;
		this.origin = Object.freeze({ source: 'connection', userId: identity.userId, sessionId: identity.sessionId });
		this.#logger = logger;
		this.#reporter = reporter;
		const { queriesPerMinute, maxAwarenessStateBytes } = reporter.limits;
		this.step1Rate = new TokenBucket(QUERY_BURST, queriesPerMinute / 60);
		this.queryAwarenessRate = new TokenBucket(QUERY_BURST, queriesPerMinute / 60);
		this.awarenessRate = new TokenBucket(4 * maxAwarenessStateBytes, maxAwarenessStateBytes);
		socket.binaryType = 'nodebuffer';
		socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
		socket.on('pong', () => (this.#alive = true));
		// ws reports protocol errors (a frame over the size limit, invalid framing) here and closes the socket itself
		// with the fitting code (1009, 1002); this side only stops using it.
		socket.on('error', (error) => {
			this.#logger.warn({ doc: identity.docName, err: error.message }, 'sync socket error');
			this.#stop();
		});
		this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
		socket.once('close', () => this.#stop());
	}

	get isClosed(): boolean {
		return this.#closed;
	}

	attach(room: Room): void {
		if (this.#closed) return;
		this.#room = room;
		room.join(this);
		const backlog = this.#backlog;
		this.#backlog = [];
		this.#backlogBytes = 0;
		for (const data of backlog) this.#handle(data);
	}

	send(message: Uint8Array): void {
		if (this.#socket.readyState !== WebSocket.OPEN) return;
		// A peer that does not read would otherwise make the server hold everything sent to it.
		if (this.#socket.bufferedAmount > this.#reporter.limits.maxBufferedBytes) {
			this.refuse('sync_max_buffered_bytes', CloseCode.tryAgainLater, 'not reading');
			return;
		}
		this.#socket.send(message, { binary: true }, (error) => {
			if (error) this.close(CloseCode.goingAway, 'send failed');
		});
	}

	/** Ping/pong: a socket that did not answer the previous ping is dead (a tablet that lost its network) and is cut. */
	heartbeat(): void {
		if (this.#closed) return;
		if (!this.#alive) {
			this.#socket.terminate();
			return;
		}
		this.#alive = false;
		this.#socket.ping();
	}

	/** Closes this socket because it hit a bound: logged and counted under the setting's name. */
	refuse(limit: string, code: number, reason: string): void {
		if (this.#closed) return;
		this.#reporter.hit(limit, { doc: this.identity.docName, userId: this.identity.userId });
		this.close(code, reason);
	}

	close(code: number, reason: string): void {
		if (this.#closed) return;
		this.#stop();
		if (this.#socket.readyState === WebSocket.OPEN || this.#socket.readyState === WebSocket.CONNECTING) {
			this.#socket.close(code, reason);
		}
		// A peer that never answers the close handshake is cut after a grace period.
		setTimeout(() => this.#socket.terminate(), CLOSE_GRACE_MS).unref();
	}

	/** Stops using the socket: no more messages handled, its presences and held updates gone. */
	#stop(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#backlog = [];
		this.held = null;
		this.#room?.leave(this);
	}

	#onMessage(data: RawData, isBinary: boolean): void {
		if (this.#closed) return;
		if (!isBinary || !(data instanceof Buffer)) {
			this.reject('text frames are not part of the protocol');
			return;
		}
		if (this.#room) {
			this.#handle(data);
			return;
		}
		this.#backlogBytes += data.length;
		if (this.#backlogBytes > this.#reporter.limits.maxBacklogBytes) {
			this.refuse('sync_max_backlog_bytes', CloseCode.tryAgainLater, 'too much sent while the doc loads');
			return;
		}
		this.#backlog.push(data);
	}

	#handle(data: Uint8Array): void {
		if (this.#closed || !this.#room) return;
		try {
			this.#room.receive(this, parseMessage(data));
		} catch (error) {
			this.reject(error instanceof BadMessage ? error.message : 'message could not be applied');
		}
	}

	/** Closes this socket after a change that breaks a write rule (4422), telling the device which rule. */
	refuseWrite(reason: string): void {
		if (this.#closed) return;
		this.#logger.warn(
			{ doc: this.identity.docName, userId: this.identity.userId, reason },
			'sync update refused by a write rule'
		);
		// A close reason is at most 123 bytes.
		this.close(CloseCode.writeRefused, Buffer.from(reason).subarray(0, 123).toString());
	}

	/** Closes this socket after a message that breaks the protocol (4400). */
	reject(reason: string): void {
		if (this.#closed) return;
		this.#logger.warn(
			{ doc: this.identity.docName, userId: this.identity.userId, reason },
			'closing sync socket after a bad message'
		);
		this.close(CloseCode.badMessage, 'bad message');
	}
}
