import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../log.ts';
import { CloseCode } from '../../src/lib/domain/syncProtocol.ts';
import { BadMessage, parseMessage } from './messages.ts';
import type { Room } from './Room.ts';

export interface ConnectionIdentity {
	sessionId: string;
	userId: string;
	clinicId: string;
	docName: string;
}

/**
 * One authorized socket syncing one doc. Messages that arrive before the room is loaded wait in order;
 * an invalid message closes this socket only.
 */
export class Connection {
	readonly identity: ConnectionIdentity;
	/** Awareness client ids this socket announced, removed when it leaves. */
	readonly awarenessClients = new Set<number>();
	readonly #socket: WebSocket;
	readonly #logger: Logger;
	#room: Room | null = null;
	#backlog: Uint8Array[] = [];
	#closed = false;
	readonly closedPromise: Promise<void>;

	constructor(socket: WebSocket, identity: ConnectionIdentity, logger: Logger) {
		this.#socket = socket;
		this.identity = identity;
		this.#logger = logger;
		socket.binaryType = 'nodebuffer';
		socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
		socket.on('error', (error) => {
			this.#logger.warn({ doc: identity.docName, err: error.message }, 'sync socket error');
			this.close(CloseCode.badMessage, 'socket error');
		});
		this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
		socket.once('close', () => {
			this.#closed = true;
			this.#room?.leave(this);
		});
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
		for (const data of backlog) this.#handle(data);
	}

	send(message: Uint8Array): void {
		if (this.#socket.readyState !== WebSocket.OPEN) return;
		this.#socket.send(message, { binary: true }, (error) => {
			if (error) this.close(CloseCode.goingAway, 'send failed');
		});
	}

	close(code: number, reason: string): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#room?.leave(this);
		if (this.#socket.readyState === WebSocket.OPEN || this.#socket.readyState === WebSocket.CONNECTING) {
			this.#socket.close(code, reason);
		}
		// A peer that never answers the close handshake is cut after a grace period.
		setTimeout(() => this.#socket.terminate(), 2000).unref();
	}

	#onMessage(data: RawData, isBinary: boolean): void {
		if (this.#closed) return;
		if (!isBinary || !(data instanceof Buffer)) {
			this.#reject('text frames are not part of the protocol');
			return;
		}
		if (this.#room) this.#handle(data);
		else this.#backlog.push(data);
	}

	#handle(data: Uint8Array): void {
		if (this.#closed || !this.#room) return;
		try {
			this.#room.receive(this, parseMessage(data));
		} catch (error) {
			this.#reject(error instanceof BadMessage ? error.message : 'message could not be applied');
		}
	}

	#reject(reason: string): void {
		this.#logger.warn({ doc: this.identity.docName, reason }, 'closing sync socket after a bad message');
		this.close(CloseCode.badMessage, 'bad message');
	}
}
