/**
 * The wire protocol of `/sync/<docName>`: y-websocket's framing (y-protocols sync and awareness),
 * plus the close codes this server uses. One module for client, server and tests.
 */

/** The steps of y-protocols' sync message (the second varint of a `sync` message). */
export const SyncStep = {
	/** A state vector: "send me what I lack". */
	step1: 0,
	/** The answer to step 1: what the other side lacked. */
	step2: 1,
	/** An update as it happens. */
	update: 2
} as const;

export const MessageType = {
	sync: 0,
	awareness: 1,
	auth: 2,
	queryAwareness: 3
} as const;

/** Close codes in the 4000–4999 application range, mirroring HTTP where one fits. */
export const CloseCode = {
	/** The peer sent something that is not a valid message: only its own socket is closed. */
	badMessage: 4400,
	/** The session behind the socket ended (signed out, revoked, expired): sign in again. */
	unauthenticated: 4401,
	/** The user may not open this doc. */
	forbidden: 4403,
	/** The socket may only read this doc and sent a change: the device keeps it unsent and stops sending. */
	readOnly: 4405,
	/**
	 * A change breaks a rule on who may do what in this doc (e.g. reception deleting another's appointment); the
	 * reason says which. Nothing of it was stored; resending it is refused again.
	 */
	writeRefused: 4422,
	/** An update depends on changes the server does not have and that did not follow: reconnect and sync again. */
	resync: 4409,
	/** Too many sockets, docs or queries from one session or socket: reconnect later, with backoff. */
	tooManyRequests: 4429,
	/** The clinic's storage quota is used up: the change stays on the device until an admin frees space. */
	quotaExceeded: 4507,
	/** The peer does not read what it is sent (too much waiting for it), or the doc's backlog is full: retry later. */
	tryAgainLater: 1013,
	/** The server could not serve the doc (its store failed, or it could not be loaded): reconnect later. */
	internalError: 1011,
	/** The server is going away (shutdown); reconnecting later is right. */
	goingAway: 1001,
	/** A message over the size limit; ws itself closes with this. */
	tooLarge: 1009
} as const;

/** Close codes after which a device must stop reconnecting and ask the user to sign in. */
export const AUTH_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.unauthenticated, CloseCode.forbidden]);

/**
 * Largest message a device sends: bigger updates (an offline day's work, an import) are split below it, so the
 * server's message limit (`SYNC_MAX_MESSAGE_BYTES`, at least 1 MiB) never cuts a device's legitimate work.
 */
export const DEVICE_MAX_MESSAGE_BYTES = 512 * 1024;

export const SYNC_PATH_PREFIX = '/sync/';

export function syncPath(docName: string): string {
	return SYNC_PATH_PREFIX + docName.split('/').map(encodeURIComponent).join('/');
}

/**
 * The multiplexed endpoint (SYNC-MUX-*): one socket carrying many docs, each as a channel the device opens by name.
 * `/sync/<docName>` keeps serving one doc per socket to standard y-websocket clients.
 */
export const SYNC_MUX_PATH = '/sync';

/** What a frame on the multiplexed socket does: `[channel varuint][kind varuint]` then the kind's body. */
export const MuxFrameKind = {
	/** Device → server: open the channel on the doc named in the body (a varstring). */
	open: 0,
	/** Either way: one y-websocket message of the channel's doc (the rest of the frame, as `/sync/<doc>` carries it). */
	message: 1,
	/** Either way: the channel is closed, with a close code and a reason (varuint, varstring), as a socket would be. */
	close: 2
} as const;

/** Channel ids a device may use: small numbers, so a frame's header stays a few bytes. */
export const MUX_MAX_CHANNEL_ID = 0xffff;

export type MuxFrame =
	| { channel: number; kind: typeof MuxFrameKind.open; docName: string }
	| { channel: number; kind: typeof MuxFrameKind.message; message: Uint8Array }
	| { channel: number; kind: typeof MuxFrameKind.close; code: number; reason: string };

function writeVarUint(out: number[], value: number): void {
	while (value > 0x7f) {
		out.push((value & 0x7f) | 0x80);
		value = Math.floor(value / 128);
	}
	out.push(value);
}

function readVarUint(bytes: Uint8Array, at: { pos: number }): number {
	let value = 0;
	let factor = 1;
	for (let i = 0; i < 5; i++) {
		if (at.pos >= bytes.length) throw new Error('frame ends early');
		const byte = bytes[at.pos++];
		value += (byte & 0x7f) * factor;
		if (byte < 0x80) return value;
		factor *= 128;
	}
	throw new Error('number too long');
}

const utf8 = { encode: (s: string) => new TextEncoder().encode(s), decode: new TextDecoder('utf-8', { fatal: true }) };

/** One frame as bytes. */
export function encodeMuxFrame(frame: MuxFrame): Uint8Array {
	const head: number[] = [];
	writeVarUint(head, frame.channel);
	writeVarUint(head, frame.kind);
	let body: Uint8Array;
	if (frame.kind === MuxFrameKind.message) body = frame.message;
	else {
		const text = utf8.encode(frame.kind === MuxFrameKind.open ? frame.docName : frame.reason.slice(0, 120));
		if (frame.kind === MuxFrameKind.close) writeVarUint(head, frame.code);
		writeVarUint(head, text.length);
		body = text;
	}
	const out = new Uint8Array(head.length + body.length);
	out.set(head);
	out.set(body, head.length);
	return out;
}

/** Reads a frame; throws on anything malformed (the server then closes the socket with 4400). */
export function decodeMuxFrame(bytes: Uint8Array): MuxFrame {
	const at = { pos: 0 };
	const channel = readVarUint(bytes, at);
	if (channel > MUX_MAX_CHANNEL_ID) throw new Error('channel id out of range');
	const kind = readVarUint(bytes, at);
	if (kind === MuxFrameKind.message) return { channel, kind, message: bytes.subarray(at.pos) };
	if (kind !== MuxFrameKind.open && kind !== MuxFrameKind.close) throw new Error('unknown frame kind');
	const code = kind === MuxFrameKind.close ? readVarUint(bytes, at) : 0;
	const length = readVarUint(bytes, at);
	if (at.pos + length !== bytes.length || length > 512) throw new Error('bad text length');
	const text = utf8.decode.decode(bytes.subarray(at.pos, at.pos + length));
	return kind === MuxFrameKind.open ? { channel, kind, docName: text } : { channel, kind, code, reason: text };
}
