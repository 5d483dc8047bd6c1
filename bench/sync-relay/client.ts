import WebSocket from 'ws';
import * as Y from 'yjs';
import { now } from './clock.ts';
import { readStamps, StampWriter, type StampVisitor } from './payload.ts';
import { decodeSync, encodeSync, SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE } from './protocol.ts';

/**
 * An all-zero masking key: valid on the wire (the server unmasks as always) and lets ws skip masking and
 * its random pool in the client. Random keys protect browsers from proxy cache poisoning, which does not
 * apply here; on a two-core machine every cycle the clients spend is one the server may lack.
 */
const zeroMask = (mask: Buffer) => mask.fill(0);

/** Where a client reports what it receives; one sink serves the whole fleet, so it takes the receiver's index. */
export interface ClientSink {
	/** One relayed update message arrived (it may carry several original updates). */
	message(receiver: number): void;
	/** A sync step 1 after the handshake: our server's commit acknowledgement, answered like the stock client does. */
	ack(receiver: number): void;
	/** One original update found in a relayed message. */
	stamp(receiver: number, sender: number, seq: number, sentAt: number, receivedAt: number): void;
	/** The socket closed while the benchmark still needed it. */
	lost(receiver: number, code: number, reason: string): void;
}

/**
 * A client that speaks y-websocket and nothing more: it answers the handshake, sends its own updates and
 * reads the stamps out of relayed ones without applying them, so its cost per message stays small and
 * flat and the server's cost is what the figures show.
 */
export class LightClient {
	readonly index: number;
	/** Sequence number of the last update sent. */
	seq = 0;
	readonly #writer: StampWriter;
	readonly #sink: ClientSink;
	readonly #visit: StampVisitor;
	#socket: WebSocket | null = null;
	#receivedAt = 0;
	#closing = false;

	constructor(index: number, sink: ClientSink) {
		this.index = index;
		this.#writer = new StampWriter(index);
		this.#sink = sink;
		this.#visit = (sender, seq, sentAt) => sink.stamp(index, sender, seq, sentAt, this.#receivedAt);
	}

	/** Opens the socket and resolves once the server's step 2 arrived (the handshake is done both ways). */
	connect(url: string, headers: Record<string, string>): Promise<void> {
		return new Promise((resolve, reject) => {
			const socket = new WebSocket(url, { headers, perMessageDeflate: false, generateMask: zeroMask });
			this.#socket = socket;
			let synced = false;
			socket.on('message', (data: Buffer) => {
				const message = decodeSync(data);
				if (!message) return;
				if (message.step === SYNC_UPDATE) {
					this.#receivedAt = now();
					this.#sink.message(this.index);
					readStamps(message.payload, this.#visit);
				} else if (message.step === SYNC_STEP1) {
					// The stock client answers every step 1 with step 2 (what the server lacks, usually nothing).
					if (synced) this.#sink.ack(this.index);
					socket.send(encodeSync(SYNC_STEP2, Y.encodeStateAsUpdate(this.#writer.doc, message.payload)));
				} else if (message.step === SYNC_STEP2 && !synced) {
					synced = true;
					resolve();
				}
			});
			socket.on('open', () => socket.send(encodeSync(SYNC_STEP1, Y.encodeStateVector(this.#writer.doc))));
			socket.on('unexpected-response', (req, res) => {
				req.destroy();
				reject(new Error(`client ${this.index}: upgrade refused with HTTP ${res.statusCode}`));
			});
			socket.on('error', (error) => {
				if (!synced) reject(error);
			});
			socket.on('close', (code, reason) => {
				if (!synced) reject(new Error(`client ${this.index}: closed ${code} before sync`));
				else if (!this.#closing) this.#sink.lost(this.index, code, reason.toString());
			});
		});
	}

	/** Writes the next stamp and sends it; returns its sequence number. */
	send(): number {
		const seq = ++this.seq;
		const update = this.#writer.write(seq, now());
		this.#socket?.send(encodeSync(SYNC_UPDATE, update));
		return seq;
	}

	close(): Promise<void> {
		this.#closing = true;
		const socket = this.#socket;
		if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
		return new Promise((resolve) => {
			socket.once('close', () => resolve());
			socket.close(1000, 'bench done');
			setTimeout(() => socket.terminate(), 2000).unref();
		});
	}
}
