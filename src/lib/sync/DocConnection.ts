import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebsocketProvider } from 'y-websocket';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { AUTH_CLOSE_CODES, CloseCode, DEVICE_MAX_MESSAGE_BYTES, MessageType, SyncStep } from '$lib/domain/syncProtocol.ts';
import type { DeleteSetLike } from '$lib/local/serverDeletions.ts';
import { splitUpdate } from './splitUpdate.ts';

/** What y-protocols' awareness reports with each 'update'. */
interface AwarenessChanges {
	added: number[];
	updated: number[];
	removed: number[];
}

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
	/** How long that answer may take before the server counts as unreachable; `SESSION_CHECK_MS` unless given. */
	sessionCheckMs?: number;
	/**
	 * The socket took this device's changes and then the server said nothing (a network that dropped without closing
	 * it): the caller drops the socket the doc travels on (the shared one: every doc on it is as cut off). Without it
	 * the doc drops its own socket and reconnects.
	 */
	onStalled?: () => void;
	/** How long a sent change may go unanswered before the server is asked, and that question too; `STALL_CHECK_MS`. */
	stallCheckMs?: number;
	/** How long a socket may stay connecting before it is dropped and tried again; `CONNECT_TIMEOUT_MS` unless given. */
	connectTimeoutMs?: number;
	onState: (state: ConnectionState) => void;
	/** Every state vector the server sends: what it has durably stored. */
	onServerStateVector: (stateVector: Map<number, number>) => void;
	/** Every delete set the server sends (before the state vector of the same message): deletions it has stored. */
	onServerDeletions?: (ds: DeleteSetLike) => void;
	/**
	 * Builds the answer to the server's step 1 (what the server lacks, from what it is known to hold) instead of the
	 * whole difference. Given, the answer waits for the server's own step 2 on the same socket: the doc then holds the
	 * server's changes, and the server's delete set is known (NOTES-SIGN-2).
	 */
	answerServer?: (serverState: Map<number, number>, serverDeletions: DeleteSetLike) => Uint8Array;
	/**
	 * The user's role may only read this doc: nothing is sent (local edits stay on the device, unconfirmed). The
	 * server refusing a write (4405) turns it on as well.
	 */
	readOnly?: boolean;
	/** Test hook-free seam for the WebSocket class (Node tests pass `ws`). */
	WebSocket?: typeof globalThis.WebSocket;
}

const MAX_BACKOFF_MS = 10_000;
/** How long the session check after a failed connect may take before the server counts as unreachable. */
const SESSION_CHECK_MS = 5_000;
/**
 * A change sent and not acknowledged after this long, with nothing at all heard from the server meanwhile, makes the
 * device ask (a step 1, which the server always answers); no answer to that either in as long: the socket is dead.
 */
const STALL_CHECK_MS = 4_000;
/**
 * A socket still connecting after this long is dropped and the doc tries again (as after `onStalled`): Chromium can
 * hold a socket opened while the network was gone "connecting" with no end, and no 'online' event may come to
 * replace it (seen in e2e runs: the tablet's note never reconnected).
 */
const CONNECT_TIMEOUT_MS = 8_000;
/**
 * Deletions carry no clock, so only a delete set from the server confirms them: the device asks for one (a step 1,
 * answered once everything before it is stored) after sending deletions, at most this often (the server bounds queries).
 */
const ASK_INTERVAL_MS = 2_000;

/**
 * One doc's socket: the stock y-websocket provider, with reconnecting taken over so that an auth refusal stops it
 * (the stock client would retry forever) and every reconnect can carry a fresh ticket, and with sending taken
 * over so that a read-only doc sends nothing and a large change goes out in pieces the server accepts.
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
	/** The device is offline (`pause`): nothing is tried until `reconnect`. */
	#paused = false;
	#readOnly: boolean;
	#askTimer: ReturnType<typeof setTimeout> | null = null;
	#lastAsked = 0;
	/** When the server was last heard from on this socket (`performance.now()`). */
	#lastHeard = 0;
	/** The highest clock of this device's own edits the server has said it holds. */
	#ownClockStored = 0;
	/** Runs while a sent change of this device waits for its acknowledgement (`#watchAcknowledgement`). */
	#stallTimer: ReturnType<typeof setTimeout> | null = null;
	#connectTimer: ReturnType<typeof setTimeout> | null = null;
	/** Everything the server has said it holds (its state vectors and the extents of what it sent), merged. */
	readonly #serverState = new Map<number, number>();
	/** With `answerServer`: the server's step 1 on this socket waits for its step 2 to be answered. */
	#answerDue = false;
	/** The delete set of the server's last step 2 on this socket (its whole delete set then), or null before one. */
	#serverDeletions: DeleteSetLike | null = null;

	constructor(docName: string, doc: Y.Doc, opts: DocConnectionOptions) {
		this.#opts = opts;
		this.provider = new WebsocketProvider(opts.url, docName, doc, {
			connect: false,
			WebSocketPolyfill: opts.WebSocket,
			maxBackoffTime: MAX_BACKOFF_MS,
			// Every server close is decided here (#onClosed), not by the provider's own retry loop.
			shouldReconnect: () => false
		});
		this.#readOnly = opts.readOnly ?? false;
		this.#interceptSync();
		this.#interceptLocalUpdates();
		this.#sendOnlyOwnPresence();
		this.provider.on('status', ({ status }) => {
			if (status === 'connected') {
				this.#opened = true;
				this.#answerDue = false;
				this.#serverDeletions = null;
				this.#set('syncing');
				// Presence after a reconnect (PRESENCE-RECONNECT-1). The others saw this device's presence removed under
				// its last clock: announced again under that clock it would look old to them until the next renewal,
				// 15–30 s later, so the state is set anew (a later clock) and the provider sends it. And this device
				// dropped the others' states when the socket closed but kept their clocks: the states the server now
				// sends carry the same clocks and would be ignored, so those clocks are forgotten.
				const awareness = this.provider.awareness;
				for (const client of [...awareness.meta.keys()]) if (client !== awareness.clientID) awareness.meta.delete(client);
				const local = awareness.getLocalState();
				if (local !== null) awareness.setLocalState({ ...local });
			}
		});
		this.provider.on('sync', (synced: boolean) => {
			if (synced) {
				this.#failures = 0;
				this.#set('synced');
			}
		});
		this.provider.on('closed', ({ code }) => void this.#onClosed(code));
		this.provider.on('status', ({ status }) => {
			if (status !== 'connected') this.#stopWatching();
			if (status !== 'connecting') this.#clearConnectTimer();
		});
	}

	/**
	 * Opens the socket. Call it once the doc holds what the device stored: the server then sends only what the device
	 * lacks, instead of the whole doc again.
	 */
	start(): void {
		if (this.#started) return;
		this.#started = true;
		if (!this.#paused) void this.#connect();
	}

	get state(): ConnectionState {
		return this.#state;
	}

	/** The user may only read this doc: local edits are kept on the device and not sent. */
	get readOnly(): boolean {
		return this.#readOnly;
	}

	/** Drops the socket now (the device went offline) and reconnects when `reconnect` is called. */
	pause(): void {
		this.#paused = true;
		this.#stopWatching();
		this.#clearConnectTimer();
		this.#clearTimer();
		this.provider.disconnect();
		this.#set('offline');
	}

	/**
	 * The device is back online: connects now, or when `start` is called if the doc has not started yet. An attempt
	 * still connecting began while the network was gone (Chromium may hold such a socket unopened, seen in e2e runs:
	 * the doc then never reconnected): it is dropped for a fresh one.
	 */
	reconnect(): void {
		this.#paused = false;
		if (this.#stopped || !this.#started || this.provider.wsconnected) return;
		if (this.provider.wsconnecting) this.provider.disconnect();
		this.#clearTimer();
		this.#failures = 0;
		void this.#connect();
	}

	destroy(): void {
		this.#stopped = true;
		this.#stopWatching();
		this.#clearConnectTimer();
		this.#clearTimer();
		if (this.#askTimer) clearTimeout(this.#askTimer);
		this.provider.destroy();
	}

	async #connect(): Promise<void> {
		if (this.#stopped || this.#paused) return;
		// A retry after a failure stays "offline" until the socket opens: the status must not flicker on every attempt.
		if (this.#state !== 'offline') this.#set('connecting');
		this.#opened = false;
		if (this.#opts.ticket) {
			try {
				this.provider.params = { ticket: await this.#opts.ticket() };
			} catch {
				return this.#retryLater();
			}
		}
		if (this.#stopped || this.#paused) return;
		this.provider.connect();
		this.#clearConnectTimer();
		if (this.provider.wsconnecting)
			this.#connectTimer = setTimeout(() => {
				this.#connectTimer = null;
				if (!this.#stopped && !this.#paused && this.provider.wsconnecting) this.#stalled();
			}, this.#opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
	}

	async #onClosed(code: number): Promise<void> {
		if (this.#stopped) return;
		if (AUTH_CLOSE_CODES.has(code)) return this.#signedOut();
		// The role may not write here (changed since the page loaded): keep syncing, as a reader.
		if (code === CloseCode.readOnly) this.#readOnly = true;
		if (!this.#opened) {
			// The upgrade was refused or the server is unreachable; only the server can say which.
			const stands = await this.#sessionStands();
			if (stands === false) return this.#signedOut();
			// The device came back online meanwhile and connected again: a retry now would report that live socket as
			// offline, and the status would stay so until the next close.
			if (this.#stopped || this.provider.ws !== null) return;
		}
		this.#retryLater();
	}

	/**
	 * The server's word on the session, or "unreachable" when it does not answer in time (`sessionCheckMs`): a request
	 * that hangs (a network coming back, a proxy holding it) must not hold the doc's reconnecting with it.
	 */
	async #sessionStands(): Promise<boolean | 'unreachable'> {
		let timer: ReturnType<typeof setTimeout> | undefined;
		const late = new Promise<'unreachable'>(
			(resolve) => (timer = setTimeout(() => resolve('unreachable'), this.#opts.sessionCheckMs ?? SESSION_CHECK_MS))
		);
		try {
			return await Promise.race([this.#opts.sessionStands().catch(() => 'unreachable' as const), late]);
		} finally {
			clearTimeout(timer);
		}
	}

	#retryLater(): void {
		if (this.#stopped) return;
		this.#set('offline');
		// Offline, nothing is tried (each try would also ask the server whether the session stands): `reconnect` will.
		if (this.#paused) return;
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
	 * echo of this device's own changes, which is their acknowledgement. Messages from other tabs (BroadcastChannel,
	 * where `fromServer` is false) say nothing about the server. The answer to the server's step 1 is sent here too:
	 * nothing when read-only, in pieces when large.
	 */
	#interceptSync(): void {
		const handlers = this.provider.messageHandlers;
		const original = handlers[MessageType.sync];
		handlers[MessageType.sync] = (encoder, decoder, provider, fromServer, messageType) => {
			if (!fromServer) return original(encoder, decoder, provider, fromServer, messageType);
			this.#lastHeard = performance.now();
			const peek = decoding.clone(decoder);
			const step = decoding.readVarUint(peek);
			const payload = decoding.readVarUint8Array(peek);
			if (step !== SyncStep.step1) {
				const answering = this.#opts.answerServer && step === SyncStep.step2;
				if (this.#opts.onServerDeletions || answering) {
					const { ds } = Y.decodeUpdate(payload);
					if (this.#opts.onServerDeletions && ds.clients.size > 0) this.#opts.onServerDeletions(ds);
					if (answering) this.#serverDeletions = ds;
				}
				this.#heldByServer(Y.parseUpdateMeta(payload).to);
				const handled = original(encoder, decoder, provider, fromServer, messageType);
				if (answering && this.#answerDue) this.#answer();
				return handled;
			}
			const stateVector = Y.decodeStateVector(payload);
			this.#heldByServer(stateVector);
			// Consumed here; the provider sends nothing for an empty encoder.
			decoding.readVarUint(decoder);
			decoding.readVarUint8Array(decoder);
			if (this.#readOnly) return;
			if (this.#opts.answerServer) {
				this.#answerDue = true;
				if (this.#serverDeletions) this.#answer();
				return;
			}
			this.#send(Y.encodeStateAsUpdate(provider.doc, payload), SyncStep.step2);
			this.#afterAnswer();
		};
	}

	/** The answer to the server's step 1 built by `answerServer`, once its step 2 arrived on this socket. */
	#answer(): void {
		this.#answerDue = false;
		if (this.#readOnly || !this.#serverDeletions) return;
		this.#send(this.#opts.answerServer!(new Map(this.#serverState), this.#serverDeletions), SyncStep.step2);
		this.#afterAnswer();
	}

	#afterAnswer(): void {
		// What was made offline went out just now: it too must be acknowledged, or sent again on a new socket.
		this.#watchAcknowledgement();
		// Deletions made offline went out just now: ask for the delete set that confirms them.
		this.#askForDeletions();
	}

	/** Replaces the provider's sender of local changes (the provider's destroy() removes it, under the same name). */
	#interceptLocalUpdates(): void {
		const provider = this.provider;
		provider.doc.off('update', provider._updateHandler);
		const stock = provider._updateHandler;
		provider._updateHandler = (update: Uint8Array, origin: unknown) => {
			if (origin === provider || this.#readOnly) return;
			// Unconnected, the provider would send nothing (the sync steps on connecting carry the change): a doc loading
			// from IndexedDB, hundreds of KB, is not split and re-encoded for nothing.
			if (!provider.wsconnected && !provider.bcconnected) return;
			for (const piece of splitUpdate(update, DEVICE_MAX_MESSAGE_BYTES)) stock(piece, origin);
			if (provider.wsconnected) this.#watchAcknowledgement();
			// An edit that only deleted moves no clock: no state vector will ever confirm it.
			if (Y.parseUpdateMeta(update).to.size === 0) this.#askForDeletions();
		};
		provider.doc.on('update', provider._updateHandler);
	}

	/**
	 * The stock provider sends every presence change it hears of, the others' included: each colleague's caret,
	 * received here, went back to the server (which ignores presence a socket did not introduce) and to the other
	 * tabs (which hear it on their own sockets), on every keystroke of theirs. Only this device's own entry goes out.
	 */
	#sendOnlyOwnPresence(): void {
		const provider = this.provider;
		const awareness = provider.awareness;
		awareness.off('update', provider._awarenessUpdateHandler);
		const stock = provider._awarenessUpdateHandler;
		provider._awarenessUpdateHandler = (changes: AwarenessChanges, origin: unknown) => {
			const own = awareness.clientID;
			if (!changes.added.includes(own) && !changes.updated.includes(own) && !changes.removed.includes(own)) return;
			const only = (ids: number[]) => (ids.includes(own) ? [own] : []);
			stock({ added: only(changes.added), updated: only(changes.updated), removed: only(changes.removed) }, origin);
		};
		awareness.on('update', provider._awarenessUpdateHandler);
	}

	/** What the server holds, from a message of its: told to the caller, and whether this device's edits are in it. */
	#heldByServer(stateVector: Map<number, number>): void {
		for (const [client, clock] of stateVector)
			if (clock > (this.#serverState.get(client) ?? 0)) this.#serverState.set(client, clock);
		const own = stateVector.get(this.provider.doc.clientID);
		if (own !== undefined && own > this.#ownClockStored) this.#ownClockStored = own;
		if (this.#acknowledged()) this.#stopWatching();
		this.#opts.onServerStateVector(stateVector);
	}

	#acknowledged(): boolean {
		const doc = this.provider.doc;
		return this.#ownClockStored >= Y.getState(doc.store, doc.clientID);
	}

	/**
	 * A change of this device went out: if the server neither acknowledges it nor says anything else for a while, it
	 * is asked (a step 1); silent again, the socket counts as dead and is dropped, and the doc reconnects — its step 2
	 * then carries what the server lacks. A socket the network stopped carrying stays "open" for a browser, and
	 * without this the change would wait for a reconnect that nothing causes (seen in e2e runs: the tablet's offline
	 * paragraph never reached the desk).
	 */
	#watchAcknowledgement(): void {
		if (this.#stallTimer || this.#acknowledged()) return;
		const wait = this.#opts.stallCheckMs ?? STALL_CHECK_MS;
		const since = performance.now();
		this.#stallTimer = setTimeout(() => {
			this.#stallTimer = null;
			const ws = this.provider.ws;
			if (this.#stopped || !this.provider.wsconnected || !ws || this.#acknowledged()) return;
			// The server is talking (a big step 2 being stored, say): it will acknowledge; keep watching.
			if (this.#lastHeard > since) return this.#watchAcknowledgement();
			const asked = performance.now();
			const encoder = encoding.createEncoder();
			encoding.writeVarUint(encoder, MessageType.sync);
			syncProtocol.writeSyncStep1(encoder, this.provider.doc);
			ws.send(encoding.toUint8Array(encoder));
			this.#stallTimer = setTimeout(() => {
				this.#stallTimer = null;
				if (this.#stopped || !this.provider.wsconnected || this.#acknowledged()) return;
				if (this.#lastHeard > asked) return this.#watchAcknowledgement();
				this.#stalled();
			}, wait);
		}, wait);
	}

	#clearConnectTimer(): void {
		if (this.#connectTimer) clearTimeout(this.#connectTimer);
		this.#connectTimer = null;
	}

	#stopWatching(): void {
		if (this.#stallTimer) clearTimeout(this.#stallTimer);
		this.#stallTimer = null;
	}

	#stalled(): void {
		if (this.#opts.onStalled) return this.#opts.onStalled();
		this.provider.disconnect();
		this.#retryLater();
	}

	/** Sends a step 1 soon, at most once per `ASK_INTERVAL_MS`; the server's step 2 answer holds its whole delete set. */
	#askForDeletions(): void {
		if (!this.#opts.onServerDeletions || this.#askTimer) return;
		const wait = Math.max(0, this.#lastAsked + ASK_INTERVAL_MS - Date.now());
		this.#askTimer = setTimeout(() => {
			this.#askTimer = null;
			const ws = this.provider.ws;
			if (this.#stopped || !ws || ws.readyState !== ws.OPEN) return;
			this.#lastAsked = Date.now();
			const encoder = encoding.createEncoder();
			encoding.writeVarUint(encoder, MessageType.sync);
			syncProtocol.writeSyncStep1(encoder, this.provider.doc);
			ws.send(encoding.toUint8Array(encoder));
		}, wait);
	}

	#send(update: Uint8Array, step: number): void {
		const ws = this.provider.ws;
		if (!ws || ws.readyState !== ws.OPEN) return;
		splitUpdate(update, DEVICE_MAX_MESSAGE_BYTES).forEach((piece, i) => {
			const encoder = encoding.createEncoder();
			encoding.writeVarUint(encoder, MessageType.sync);
			encoding.writeVarUint(encoder, i === 0 ? step : SyncStep.update);
			encoding.writeVarUint8Array(encoder, piece);
			ws.send(encoding.toUint8Array(encoder));
		});
	}
}
