import * as decoding from 'lib0/decoding';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { AUTH_CLOSE_CODES, MessageType } from '$lib/domain/syncProtocol.ts';

export type ConnectionState = 'connecting' | 'syncing' | 'synced' | 'offline' | 'signed-out';

export interface DocConnectionOptions {
	/** `ws(s)://host/sync`, without the doc name. */
	url: string;
	/**
	 * Where the session cookie cannot be sent (another origin, a native shell), a fresh single-use ticket is fetched
	 * for every connect; a browser page of this app uses its cookie and passes nothing.
	 */
	ticket?: () => Promise<string>;
	/** Asks the server whether the session still stands, after a socket failed to open (browsers hide the 401). */
	sessionStands: () => Promise<boolean | 'unreachable'>;
	onState: (state: ConnectionState) => void;
	/** Every state vector the server sends: what it has durably stored. */
	onServerStateVector: (stateVector: Map<number, number>) => void;
	/** Test hook-free seam for the WebSocket class (Node tests pass `ws`). */
	WebSocket?: typeof globalThis.WebSocket;
}

const MAX_BACKOFF_MS = 10_000;
const SYNC_STEP1 = 0;

/**
 * One doc's socket: the stock y-websocket provider, with reconnecting taken over so that an auth refusal stops it
 * (the stock client would retry forever) and every reconnect can carry a fresh ticket.
 */
export class DocConnection {
	readonly provider: WebsocketProvider;
	readonly #opts: DocConnectionOptions;
	#state: ConnectionState = 'connecting';
	#failures = 0;
	#opened = false;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#stopped = false;
	#started = false;

	constructor(docName: string, doc: Y.Doc, opts: DocConnectionOptions) {
		this.#opts = opts;
		this.provider = new WebsocketProvider(opts.url, docName, doc, {
			connect: false,
			WebSocketPolyfill: opts.WebSocket,
			maxBackoffTime: MAX_BACKOFF_MS,
			// Every server close is decided here (#onClosed), not by the provider's own retry loop.
			shouldReconnect: () => false
		});
		this.#watchServerStateVectors();
		this.provider.on('status', ({ status }) => {
			if (status === 'connected') {
				this.#opened = true;
				this.#set('syncing');
			}
		});
		this.provider.on('sync', (synced: boolean) => {
			if (synced) {
				this.#failures = 0;
				this.#set('synced');
			}
		});
		this.provider.on('closed', ({ code }) => void this.#onClosed(code));
	}

	/**
	 * Opens the socket. Call it once the doc holds what the device stored: the server then sends only what the device
	 * lacks, instead of the whole doc again.
	 */
	start(): void {
		if (this.#started) return;
		this.#started = true;
		if (this.#state !== 'offline') void this.#connect();
	}

	get state(): ConnectionState {
		return this.#state;
	}

	/** Drops the socket now (the device went offline) and reconnects when `reconnect` is called. */
	pause(): void {
		this.#clearTimer();
		this.provider.disconnect();
		this.#set('offline');
	}

	reconnect(): void {
		if (this.#stopped || !this.#started || this.provider.wsconnected || this.provider.wsconnecting) return;
		this.#clearTimer();
		this.#failures = 0;
		void this.#connect();
	}

	destroy(): void {
		this.#stopped = true;
		this.#clearTimer();
		this.provider.destroy();
	}

	async #connect(): Promise<void> {
		if (this.#stopped) return;
		this.#set('connecting');
		this.#opened = false;
		if (this.#opts.ticket) {
			try {
				this.provider.params = { ticket: await this.#opts.ticket() };
			} catch {
				return this.#retryLater();
			}
		}
		if (this.#stopped) return;
		this.provider.connect();
	}

	async #onClosed(code: number): Promise<void> {
		if (this.#stopped) return;
		if (AUTH_CLOSE_CODES.has(code)) return this.#signedOut();
		if (!this.#opened) {
			// The upgrade was refused or the server is unreachable; only the server can say which.
			const stands = await this.#opts.sessionStands().catch(() => 'unreachable' as const);
			if (stands === false) return this.#signedOut();
		}
		this.#retryLater();
	}

	#retryLater(): void {
		if (this.#stopped) return;
		this.#set('offline');
		this.#failures++;
		const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.#failures, 6)) * (0.75 + Math.random() / 2);
		this.#clearTimer();
		this.#timer = setTimeout(() => void this.#connect(), delay);
	}

	#signedOut(): void {
		this.#stopped = true;
		this.#clearTimer();
		this.provider.disconnect();
		this.#set('signed-out');
	}

	#set(state: ConnectionState): void {
		if (this.#state === 'signed-out' || this.#state === state) return;
		this.#state = state;
		this.#opts.onState(state);
	}

	#clearTimer(): void {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
	}

	/**
	 * Learns what the server has stored from what it sends, before the provider handles it: its state vector (step 1,
	 * on connect) and the extent of every update it relays, which it does only once they are durable — including the
	 * echo of this device's own changes, which is their acknowledgement.
	 */
	#watchServerStateVectors(): void {
		const handlers = this.provider.messageHandlers;
		const original = handlers[MessageType.sync];
		handlers[MessageType.sync] = (encoder, decoder, provider, emitSynced, messageType) => {
			const peek = decoding.clone(decoder);
			const step = decoding.readVarUint(peek);
			const payload = decoding.readVarUint8Array(peek);
			if (step === SYNC_STEP1) this.#opts.onServerStateVector(Y.decodeStateVector(payload));
			else this.#opts.onServerStateVector(Y.parseUpdateMeta(payload).to);
			original(encoder, decoder, provider, emitSynced, messageType);
		};
	}
}
