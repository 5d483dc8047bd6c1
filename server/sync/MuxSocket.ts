import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../log.ts';
import { CloseCode, decodeMuxFrame, encodeMuxFrame, MuxFrameKind, type MuxFrame } from '../../src/lib/domain/syncProtocol.ts';
import type { SyncSocket } from './Connection.ts';

/** Opens a channel's doc for the socket's session; refuses with a close code and reason, or attaches a Connection. */
export type OpenChannel = (channel: MuxChannel, docName: string) => void;

export interface MuxLimits {
	/** Channels one multiplexed socket may have open at once (`SYNC_MAX_DOCS_PER_MUX`). */
	maxChannels: number;
	/** Bytes waiting to be sent on the socket past which it is closed (shared by its channels). */
	maxBufferedBytes: number;
}

/**
 * One doc on a multiplexed socket, shaped like the `ws` socket a Connection expects (SYNC-MUX-2): its messages
 * travel as frames of the shared socket, its close is a close frame, and the shared socket's liveness is its own.
 */
export class MuxChannel extends EventEmitter implements SyncSocket {
	binaryType = 'nodebuffer';
	#state: number = WebSocket.OPEN;
	readonly id: number;
	readonly #mux: MuxSocket;

	constructor(id: number, mux: MuxSocket) {
		super();
		this.id = id;
		this.#mux = mux;
	}

	get readyState(): number {
		return this.#state;
	}

	/** What waits to be sent on the shared socket: a channel whose peer does not read is a socket that does not read. */
	get bufferedAmount(): number {
		return this.#mux.bufferedAmount;
	}

	send(message: Uint8Array, _options: { binary: boolean }, done: (error?: Error) => void): void {
		if (this.#state !== WebSocket.OPEN) return done(new Error('channel closed'));
		this.#mux.send({ channel: this.id, kind: MuxFrameKind.message, message }, done);
	}

	/** The shared socket is pinged by its own heartbeat; a channel is alive while it is open. */
	ping(): void {
		if (this.#state === WebSocket.OPEN && this.#mux.isOpen) queueMicrotask(() => this.emit('pong'));
	}

	close(code: number, reason: string): void {
		if (this.#state !== WebSocket.OPEN) return;
		this.#mux.send({ channel: this.id, kind: MuxFrameKind.close, code, reason }, () => {});
		this.end();
	}

	terminate(): void {
		this.end();
	}

	/** Closed without a frame (the peer closed it, or the shared socket went away). */
	end(): void {
		if (this.#state === WebSocket.CLOSED) return;
		this.#state = WebSocket.CLOSED;
		this.#mux.forget(this.id);
		this.emit('close');
	}

	deliver(message: Buffer): void {
		if (this.#state === WebSocket.OPEN) this.emit('message', message, true);
	}
}

/**
 * A socket of `/sync` carrying many docs (SYNC-MUX-1..5): the device opens a channel per doc by name; each channel
 * is authorized and served exactly as a `/sync/<doc>` socket would be, with the same bounds. A malformed frame
 * closes the whole socket (4400); a channel beyond the cap is refused alone (4429).
 */
export class MuxSocket {
	readonly sessionId: string;
	readonly closedPromise: Promise<void>;
	readonly #ws: WebSocket;
	readonly #channels = new Map<number, MuxChannel>();
	readonly #open: OpenChannel;
	readonly #limits: MuxLimits;
	readonly #logger: Logger;
	#alive = true;

	constructor(ws: WebSocket, sessionId: string, open: OpenChannel, limits: MuxLimits, logger: Logger) {
		this.#ws = ws;
		this.sessionId = sessionId;
		this.#open = open;
		this.#limits = limits;
		this.#logger = logger;
		ws.binaryType = 'nodebuffer';
		ws.on('message', (data: RawData, isBinary: boolean) => this.#onFrame(data, isBinary));
		ws.on('pong', () => (this.#alive = true));
		ws.on('error', (error) => this.#logger.warn({ err: error.message }, 'sync mux socket error'));
		this.closedPromise = new Promise((resolve) => ws.once('close', () => resolve()));
		ws.once('close', () => {
			for (const channel of [...this.#channels.values()]) channel.end();
		});
	}

	get isOpen(): boolean {
		return this.#ws.readyState === WebSocket.OPEN;
	}

	get bufferedAmount(): number {
		return this.#ws.bufferedAmount;
	}

	get channelCount(): number {
		return this.#channels.size;
	}

	send(frame: MuxFrame, done: (error?: Error) => void): void {
		if (!this.isOpen) return done(new Error('socket closed'));
		// A peer that does not read would otherwise make the server hold what every channel sends it.
		if (this.#ws.bufferedAmount > this.#limits.maxBufferedBytes) {
			this.close(CloseCode.tryAgainLater, 'not reading');
			return done(new Error('not reading'));
		}
		this.#ws.send(encodeMuxFrame(frame), { binary: true }, done);
	}

	forget(id: number): void {
		this.#channels.delete(id);
	}

	/** A socket that did not answer the previous ping is dead (a tablet that lost its network): cut, with its channels. */
	heartbeat(): void {
		if (!this.isOpen) return;
		if (!this.#alive) {
			this.#ws.terminate();
			return;
		}
		this.#alive = false;
		this.#ws.ping();
	}

	/** Closes the socket and so every channel on it (its session ended or changed, the server stops). */
	close(code: number, reason: string): void {
		if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) this.#ws.close(code, reason);
		setTimeout(() => this.#ws.terminate(), 2000).unref();
	}

	#onFrame(data: RawData, isBinary: boolean): void {
		if (!isBinary || !(data instanceof Buffer))
			return this.close(CloseCode.badMessage, 'text frames are not part of the protocol');
		let frame: MuxFrame;
		try {
			frame = decodeMuxFrame(data);
		} catch (error) {
			return this.close(CloseCode.badMessage, `malformed frame: ${(error as Error).message}`);
		}
		const channel = this.#channels.get(frame.channel);
		switch (frame.kind) {
			case MuxFrameKind.open: {
				if (channel) return this.close(CloseCode.badMessage, 'channel already open');
				const opened = new MuxChannel(frame.channel, this);
				this.#channels.set(frame.channel, opened);
				if (this.#channels.size > this.#limits.maxChannels) {
					opened.close(CloseCode.tooManyRequests, 'too many docs on this socket');
					return;
				}
				this.#open(opened, frame.docName);
				return;
			}
			// A message or close for a channel the server closed meanwhile crossed our close frame: nothing to do.
			case MuxFrameKind.message:
				return channel?.deliver(Buffer.from(frame.message.buffer, frame.message.byteOffset, frame.message.byteLength));
			case MuxFrameKind.close:
				return channel?.end();
		}
	}
}
