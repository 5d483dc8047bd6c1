import {
	decodeMuxFrame,
	encodeMuxFrame,
	MUX_MAX_CHANNEL_ID,
	MuxFrameKind,
	SYNC_MUX_PATH,
	SYNC_PATH_PREFIX,
	type MuxFrame
} from '../domain/syncProtocol.ts';

/** What y-websocket's provider uses of a WebSocket; a channel of the transport offers exactly this. */
interface ChannelEvents {
	onopen: ((event: Event) => void) | null;
	onmessage: ((event: { data: ArrayBuffer }) => void) | null;
	onclose: ((event: { code: number; reason: string }) => void) | null;
	onerror: ((event: Event) => void) | null;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;
/** The code a channel reports when the shared socket went away without saying why (as a browser reports it). */
const ABNORMAL = 1006;

/**
 * Many docs over one socket (SYNC-MUX-*): every doc's y-websocket provider gets a "WebSocket" that is a channel of
 * one shared socket to `/sync`. The providers keep all their own behaviour — step 1 on open, reconnect with backoff
 * when their channel closes — so a doc on the transport behaves as on its own socket; the device holds one socket
 * instead of one per doc (the inbox, the contacts, the open and recent threads, the schedule's months).
 */
export class MuxTransport {
	readonly #url: string;
	readonly #Socket: typeof globalThis.WebSocket;
	readonly #channels = new Map<number, Channel>();
	#socket: WebSocket | null = null;
	#nextId = 1;
	/** Bytes sent and received on the shared socket, headers included (the sockets-and-bytes benchmark reads them). */
	bytesSent = 0;
	bytesReceived = 0;
	/** Shared sockets opened so far. */
	socketsOpened = 0;

	/** `origin`: `ws(s)://host` of the server. */
	constructor(origin: string, Socket: typeof globalThis.WebSocket = globalThis.WebSocket) {
		this.#url = origin + SYNC_MUX_PATH;
		this.#Socket = Socket;
	}

	/** A WebSocket class for `WebsocketProvider`'s `WebSocketPolyfill`: each instance is a channel of this transport. */
	get WebSocket(): typeof globalThis.WebSocket {
		// eslint-disable-next-line @typescript-eslint/no-this-alias -- the class below is bound to this transport
		const transport = this;
		class TransportChannel extends Channel {
			constructor(url: string) {
				super(transport, url);
			}
		}
		return TransportChannel as unknown as typeof globalThis.WebSocket;
	}

	/** Closes the shared socket and so every channel (sign-out). */
	close(): void {
		this.#socket?.close(1000, 'closed by the device');
	}

	/**
	 * Back online: a shared socket still connecting was opened while the network was gone and may never open; the
	 * channels that reconnect now get a fresh one. Its own channels end when it closes, as for any socket.
	 */
	dropUnopened(): void {
		const socket = this.#socket;
		if (!socket || socket.readyState !== CONNECTING) return;
		this.#socket = null;
		socket.close();
	}

	/**
	 * The shared socket stopped carrying anything without closing (a doc's change went unanswered, DEVICE-SYNC-8): it
	 * is dropped now, not after a close handshake that a dead network never completes, and every channel on it ends
	 * at once as after an abnormal close, so each doc reconnects on a new socket.
	 */
	abandon(): void {
		const socket = this.#socket;
		if (!socket) return;
		this.#socket = null;
		for (const channel of this.#channelsOn(socket)) channel.closedByServer(ABNORMAL, 'not answering');
		socket.close();
	}

	get channelCount(): number {
		return this.#channels.size;
	}

	/**
	 * @internal A new channel: its id, and the shared socket it travels on for its whole life. A socket still closing
	 * (the device went offline and came back before its close finished) is not reused: the channel gets a new one,
	 * and the old socket's close ends only the channels that were on it.
	 */
	register(channel: Channel): { id: number; socket: WebSocket } {
		let id = this.#nextId;
		while (this.#channels.has(id)) id = id >= MUX_MAX_CHANNEL_ID ? 1 : id + 1;
		this.#nextId = id >= MUX_MAX_CHANNEL_ID ? 1 : id + 1;
		this.#channels.set(id, channel);
		const socket = this.#ensureSocket();
		if (socket.readyState === OPEN) queueMicrotask(() => channel.opened());
		return { id, socket };
	}

	/** @internal */
	unregister(id: number, channel: Channel): void {
		if (this.#channels.get(id) === channel) this.#channels.delete(id);
	}

	/** @internal Sends on the channel's own socket: the server knows the channel there, and only there. */
	send(socket: WebSocket, frame: MuxFrame): void {
		if (socket.readyState !== OPEN) return;
		const bytes = encodeMuxFrame(frame);
		this.bytesSent += bytes.length;
		socket.send(bytes as Uint8Array<ArrayBuffer>);
	}

	#ensureSocket(): WebSocket {
		const current = this.#socket;
		if (current && (current.readyState === CONNECTING || current.readyState === OPEN)) return current;
		const socket = new this.#Socket(this.#url);
		this.socketsOpened++;
		socket.binaryType = 'arraybuffer';
		this.#socket = socket;
		socket.onopen = () => {
			for (const channel of this.#channelsOn(socket)) channel.opened();
		};
		socket.onmessage = (event: MessageEvent<ArrayBuffer>) => {
			const bytes = new Uint8Array(event.data);
			this.bytesReceived += bytes.length;
			let frame: MuxFrame;
			try {
				frame = decodeMuxFrame(bytes);
			} catch {
				return socket.close(4400, 'malformed frame');
			}
			const channel = this.#channels.get(frame.channel);
			if (!channel || !channel.isOn(socket)) return;
			if (frame.kind === MuxFrameKind.message) channel.receive(frame.message);
			else if (frame.kind === MuxFrameKind.close) channel.closedByServer(frame.code, frame.reason);
		};
		socket.onclose = (event: CloseEvent) => {
			if (this.#socket === socket) this.#socket = null;
			// Every channel on it ends as its own socket would have: with the server's code (a session that ended is 4401
			// for each doc), or as an abnormal close; each provider then reconnects, over a new shared socket. Channels
			// already on a newer socket are not touched.
			for (const channel of this.#channelsOn(socket)) channel.closedByServer(event.code || ABNORMAL, event.reason);
		};
		socket.onerror = () => {};
		return socket;
	}

	#channelsOn(socket: WebSocket): Channel[] {
		return [...this.#channels.values()].filter((channel) => channel.isOn(socket));
	}
}

/** One doc's channel, shaped like a browser WebSocket for y-websocket's provider. */
class Channel implements ChannelEvents {
	static readonly CONNECTING = CONNECTING;
	static readonly OPEN = OPEN;
	static readonly CLOSED = CLOSED;
	readonly CONNECTING = CONNECTING;
	readonly OPEN = OPEN;
	readonly CLOSED = CLOSED;
	binaryType = 'arraybuffer';
	readyState: number = CONNECTING;
	onopen: ChannelEvents['onopen'] = null;
	onmessage: ChannelEvents['onmessage'] = null;
	onclose: ChannelEvents['onclose'] = null;
	onerror: ChannelEvents['onerror'] = null;
	readonly #transport: MuxTransport;
	readonly #docName: string;
	readonly #id: number;
	readonly #socket: WebSocket;

	constructor(transport: MuxTransport, url: string) {
		this.#transport = transport;
		const path = new URL(url).pathname;
		this.#docName = path.slice(SYNC_PATH_PREFIX.length).split('/').map(decodeURIComponent).join('/');
		({ id: this.#id, socket: this.#socket } = transport.register(this));
	}

	isOn(socket: WebSocket): boolean {
		return this.#socket === socket;
	}

	opened(): void {
		if (this.readyState !== CONNECTING) return;
		this.#transport.send(this.#socket, { channel: this.#id, kind: MuxFrameKind.open, docName: this.#docName });
		this.readyState = OPEN;
		this.onopen?.(new Event('open'));
	}

	send(data: Uint8Array | ArrayBuffer): void {
		if (this.readyState !== OPEN) return;
		this.#transport.send(this.#socket, {
			channel: this.#id,
			kind: MuxFrameKind.message,
			message: data instanceof Uint8Array ? data : new Uint8Array(data)
		});
	}

	receive(message: Uint8Array): void {
		if (this.readyState !== OPEN) return;
		// A copy of its own: the provider keeps the buffer, and the frame's bytes belong to the shared socket.
		this.onmessage?.({ data: message.slice().buffer });
	}

	close(code = 1000, reason = ''): void {
		if (this.readyState === CLOSED) return;
		if (this.readyState === OPEN)
			this.#transport.send(this.#socket, { channel: this.#id, kind: MuxFrameKind.close, code, reason });
		this.#end(code, reason);
	}

	closedByServer(code: number, reason: string): void {
		if (this.readyState !== CLOSED) this.#end(code, reason);
	}

	#end(code: number, reason: string): void {
		this.readyState = CLOSED;
		this.#transport.unregister(this.#id, this);
		const onclose = this.onclose;
		// As a browser does: the close is reported after the call that caused it returns.
		if (onclose) queueMicrotask(() => onclose({ code, reason }));
	}
}
