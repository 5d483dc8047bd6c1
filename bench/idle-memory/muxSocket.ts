import WebSocket from 'ws';
import { decodeMuxFrame, encodeMuxFrame, MuxFrameKind, type MuxFrame } from '../../src/lib/domain/syncProtocol.ts';
import { decodeSync, SYNC_STEP1, SYNC_STEP2 } from '../sync-relay/protocol.ts';
import { EMPTY_STEP2, OpenError, OWN_STEP1, refusedUpgrade, zeroMask, type OpenOptions } from './socket.ts';

interface Handshake {
	answered: boolean;
	synced: boolean;
	resolve: () => void;
	reject: (error: OpenError) => void;
	timer: NodeJS.Timeout;
}

/**
 * A client of `GET /sync` (SYNC-MUX-*), as light as `openSynced` is for `/sync/<doc>`: raw frames built with the
 * app's own codec (`syncProtocol.ts`), no provider and no Y.Doc per channel. Each channel does the y-websocket
 * handshake both ways, as the device's provider on a `MuxTransport` channel does: our step 1 sent with the open,
 * the server's step 1 answered with an empty step 2, the server's step 2 received. After that the channel is
 * idle; ws answers the shared socket's pings by itself.
 */
export class MuxClient {
	readonly #ws: WebSocket;
	/** Channels still in their handshake. */
	readonly #pending = new Map<number, Handshake>();
	/** Channels synced and idle. */
	readonly #idle = new Set<number>();
	#closedBy: string | null = null;
	#closing = false;
	/** Synced channels the server closed: one by a close frame, or all still open when the shared socket closed. */
	onLost: (reason: string, channels: number) => void = () => {};

	private constructor(ws: WebSocket) {
		this.#ws = ws;
		ws.on('message', (data: Buffer) => this.#onFrame(data));
		ws.on('close', (code, reason) => {
			this.#closedBy = `socket closed ${code} ${reason.toString()}`.trim();
			for (const id of [...this.#pending.keys()]) this.#fail(id, `${this.#closedBy} before sync`);
			if (!this.#closing && this.#idle.size > 0) this.onLost(this.#closedBy, this.#idle.size);
			this.#idle.clear();
		});
	}

	/** Opens the shared socket; rejects with an OpenError if the upgrade is refused or fails. */
	static open(url: string, opts: OpenOptions): Promise<MuxClient> {
		return new Promise((resolve, reject) => {
			const ws = new WebSocket(url, {
				headers: opts.headers,
				localAddress: opts.localAddress,
				perMessageDeflate: false,
				generateMask: zeroMask,
				handshakeTimeout: opts.timeoutMs
			});
			let settled = false;
			const fail = (reason: string) => {
				if (settled) return;
				settled = true;
				ws.terminate();
				reject(new OpenError(reason));
			};
			ws.once('open', () => {
				if (settled) return;
				settled = true;
				resolve(new MuxClient(ws));
			});
			ws.on('unexpected-response', (req, res) => refusedUpgrade(req, res, fail));
			ws.on('error', (error: NodeJS.ErrnoException) => fail(`socket error: ${error.code ?? error.message}`));
			ws.once('close', (code, reason) => fail(`socket closed ${code} ${reason.toString()} before open`));
		});
	}

	/** Channels synced and still open. */
	get openChannels(): number {
		return this.#idle.size;
	}

	/** Opens channel `id` on `docName` and resolves once it is synced both ways (rejects with an OpenError). */
	openChannel(id: number, docName: string, timeoutMs: number): Promise<void> {
		if (this.#closedBy) return Promise.reject(new OpenError(`${this.#closedBy} before sync`));
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => this.#fail(id, `no handshake within ${timeoutMs / 1000} s`), timeoutMs);
			this.#pending.set(id, { answered: false, synced: false, resolve, reject, timer });
			this.#send({ channel: id, kind: MuxFrameKind.open, docName });
			this.#send({ channel: id, kind: MuxFrameKind.message, message: OWN_STEP1 });
		});
	}

	/** Closes the socket with a closing handshake (cut after 2 s without one); nothing counts as lost. */
	close(): Promise<void> {
		this.#closing = true;
		if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
		return new Promise((resolve) => {
			const kill = setTimeout(() => this.#ws.terminate(), 2000);
			this.#ws.once('close', () => {
				clearTimeout(kill);
				resolve();
			});
			this.#ws.close(1000, 'done');
		});
	}

	/** Drops the socket at once, no closing handshake (as the socket client does); nothing counts as lost. */
	terminate(): void {
		this.#closing = true;
		this.#ws.terminate();
	}

	#send(frame: MuxFrame): void {
		this.#ws.send(encodeMuxFrame(frame));
	}

	#fail(id: number, reason: string): void {
		const handshake = this.#pending.get(id);
		if (!handshake) return;
		this.#pending.delete(id);
		clearTimeout(handshake.timer);
		handshake.reject(new OpenError(reason));
	}

	#onFrame(data: Buffer): void {
		let frame: MuxFrame;
		try {
			frame = decodeMuxFrame(data);
		} catch {
			// Not the server's protocol: every channel of this socket is suspect.
			for (const id of [...this.#pending.keys()]) this.#fail(id, 'undecodable frame from the server');
			return;
		}
		if (frame.kind === MuxFrameKind.close) {
			const reason = `closed ${frame.code} ${frame.reason}`.trim();
			if (this.#idle.delete(frame.channel)) this.onLost(reason, 1);
			else this.#fail(frame.channel, `${reason} before sync`);
			return;
		}
		if (frame.kind !== MuxFrameKind.message) return; // open: the device's to send, never the server's
		const handshake = this.#pending.get(frame.channel);
		if (!handshake) return; // an idle empty channel needs to answer nothing (awareness, acks)
		let message;
		try {
			message = decodeSync(frame.message);
		} catch {
			return this.#fail(frame.channel, 'undecodable message from the server');
		}
		if (!message) return; // awareness: nothing to answer
		if (message.step === SYNC_STEP1) {
			this.#send({ channel: frame.channel, kind: MuxFrameKind.message, message: EMPTY_STEP2 });
			handshake.answered = true;
		} else if (message.step === SYNC_STEP2) {
			handshake.synced = true;
		}
		if (handshake.answered && handshake.synced) {
			this.#pending.delete(frame.channel);
			clearTimeout(handshake.timer);
			this.#idle.add(frame.channel);
			handshake.resolve();
		}
	}
}
