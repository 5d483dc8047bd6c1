import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { MessageType, SyncStep } from '../../src/lib/domain/syncProtocol.ts';

/**
 * A hand-driven sync socket, for the messages a stock client never sends. It keeps a Y.Doc of everything the
 * server sent it, and the awareness entries it was told about.
 */
export class RawPeer {
	readonly ws: WebSocket;
	readonly doc = new Y.Doc();
	readonly opened: Promise<void>;
	readonly closed: Promise<number>;
	/** Awareness states the server sent, by client id (null when removed), as JSON text. */
	readonly presence = new Map<number, string | null>();
	/** Called with each awareness entry as it arrives, before the next message is read. */
	onPresence: ((clientId: number, state: string | null) => void) | null = null;
	/** Every sync message the server sent, in order: its step (0 step 1, 1 step 2, 2 update) and payload. */
	readonly syncMessages: { step: number; payload: Uint8Array }[] = [];
	#onMessage: (() => void)[] = [];

	constructor(url: string, headers: Record<string, string>, options: WebSocket.ClientOptions = {}) {
		this.ws = new WebSocket(url, { headers, ...options });
		this.ws.binaryType = 'nodebuffer';
		this.opened = new Promise((resolve, reject) => {
			this.ws.once('open', () => resolve());
			this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
		});
		this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
		this.ws.on('error', () => {});
		this.ws.on('message', (data: Buffer) => {
			this.#read(new Uint8Array(data));
			for (const run of this.#onMessage.splice(0)) run();
		});
	}

	static async open(wsUrl: string, docName: string, cookie: string, origin: string, options?: WebSocket.ClientOptions) {
		const peer = new RawPeer(`${wsUrl}/sync/${docName}`, { cookie, origin }, options);
		await peer.opened;
		return peer;
	}

	#read(data: Uint8Array): void {
		const decoder = decoding.createDecoder(data);
		const type = decoding.readVarUint(decoder);
		if (type === MessageType.sync) {
			const step = decoding.readVarUint(decoder);
			const payload = decoding.readVarUint8Array(decoder);
			this.syncMessages.push({ step, payload });
			if (step !== SyncStep.step1) Y.applyUpdate(this.doc, payload);
		} else if (type === MessageType.awareness) {
			const inner = decoding.createDecoder(decoding.readVarUint8Array(decoder));
			const count = decoding.readVarUint(inner);
			for (let i = 0; i < count; i++) {
				const id = decoding.readVarUint(inner);
				decoding.readVarUint(inner);
				const state = decoding.readVarString(inner);
				this.presence.set(id, state === 'null' ? null : state);
				this.onPresence?.(id, state === 'null' ? null : state);
			}
		}
	}

	/** Resolves once `predicate` holds, re-checked after every message received. */
	until(predicate: () => boolean): Promise<void> {
		if (predicate()) return Promise.resolve();
		return new Promise((resolve) => {
			const check = () => (predicate() ? resolve() : this.#onMessage.push(check));
			this.#onMessage.push(check);
		});
	}

	send(bytes: Uint8Array): void {
		if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
	}

	/** Sends the messages `send` makes in one TCP write, so that the server reads them in one go. */
	together(send: () => void): void {
		const socket = (this.ws as unknown as { _socket: import('node:net').Socket })._socket;
		socket.cork();
		send();
		socket.uncork();
	}

	sendStep1(stateVector = Y.encodeStateVector(this.doc)): void {
		this.send(sync(SyncStep.step1, stateVector));
	}

	sendUpdate(update: Uint8Array): void {
		this.send(sync(SyncStep.update, update));
	}

	sendQueryAwareness(): void {
		this.send(Uint8Array.of(MessageType.queryAwareness));
	}

	sendAwareness(entries: { clientId: number; clock: number; state: unknown }[]): void {
		const inner = encoding.createEncoder();
		encoding.writeVarUint(inner, entries.length);
		for (const e of entries) {
			encoding.writeVarUint(inner, e.clientId);
			encoding.writeVarUint(inner, e.clock);
			encoding.writeVarString(inner, JSON.stringify(e.state));
		}
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, MessageType.awareness);
		encoding.writeVarUint8Array(encoder, encoding.toUint8Array(inner));
		this.send(encoding.toUint8Array(encoder));
	}

	close(): void {
		this.ws.close();
	}
}

function sync(step: number, payload: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.sync);
	encoding.writeVarUint(encoder, step);
	encoding.writeVarUint8Array(encoder, payload);
	return encoding.toUint8Array(encoder);
}

/** The resident memory of a process, in MiB (Linux). */
export async function rssMiB(pid: number): Promise<number> {
	const { readFile } = await import('node:fs/promises');
	const status = await readFile(`/proc/${pid}/status`, 'utf8');
	const kb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
	return kb / 1024;
}
