import type { ClientRequest, IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { decodeSync, encodeSync, SYNC_STEP1, SYNC_STEP2 } from '../sync-relay/protocol.ts';

/** An all-zero masking key, as in the relay bench's client: valid on the wire, and no random pool per socket. */
export const zeroMask = (mask: Buffer) => mask.fill(0);

/**
 * Every socket holds an empty doc, so its half of the handshake is two constant messages: its step 1 (an
 * empty state vector) and the step 2 answering the server's step 1 (an empty update). No Y.Doc per socket.
 */
const empty = new Y.Doc();
export const OWN_STEP1 = encodeSync(SYNC_STEP1, Y.encodeStateVector(empty));
export const EMPTY_STEP2 = encodeSync(SYNC_STEP2, Y.encodeStateAsUpdate(empty));

export interface OpenOptions {
	headers: Record<string, string>;
	localAddress?: string;
	timeoutMs: number;
}

/** Why a socket failed to open, short and stable enough to be counted as one reason across many sockets. */
export class OpenError extends Error {
	override name = 'OpenError';
}

/**
 * Opens a socket and resolves once the y-websocket handshake is done both ways: the server's step 1
 * arrived and was answered with step 2, and the server answered our own step 1 (sent on open, as the
 * stock provider does) with its step 2. After that the socket is idle; ws answers pings by itself.
 */
export function openSynced(url: string, opts: OpenOptions): Promise<WebSocket> {
	return new Promise((resolve, reject) => {
		const socket = new WebSocket(url, {
			headers: opts.headers,
			localAddress: opts.localAddress,
			perMessageDeflate: false,
			generateMask: zeroMask,
			handshakeTimeout: opts.timeoutMs
		});
		let answered = false;
		let synced = false;
		let done = false;
		const fail = (reason: string) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			socket.removeAllListeners('message');
			socket.terminate();
			reject(new OpenError(reason));
		};
		const timer = setTimeout(() => fail(`no handshake within ${opts.timeoutMs / 1000} s`), opts.timeoutMs);
		socket.on('message', (data: Buffer) => {
			let message;
			try {
				message = decodeSync(data);
			} catch {
				return fail('undecodable message from the server');
			}
			if (!message) return; // awareness: nothing to answer
			if (message.step === SYNC_STEP1) {
				socket.send(EMPTY_STEP2);
				answered = true;
			} else if (message.step === SYNC_STEP2) {
				synced = true;
			}
			if (answered && synced && !done) {
				done = true;
				clearTimeout(timer);
				// Later messages (acks, pings' neighbours) need no answer from an idle empty client.
				socket.removeAllListeners('message');
				resolve(socket);
			}
		});
		socket.on('open', () => socket.send(OWN_STEP1));
		socket.on('unexpected-response', (req, res) => refusedUpgrade(req, res, fail));
		socket.on('error', (error: NodeJS.ErrnoException) => fail(`socket error: ${error.code ?? error.message}`));
		socket.on('close', (code, reason) => fail(`closed ${code} ${reason.toString()} before sync`.replace(/\s+before/, ' before')));
	});
}

/** Reads a refused upgrade's status and the start of its body, and fails the open with them. */
export function refusedUpgrade(req: ClientRequest, res: IncomingMessage, fail: (reason: string) => void): void {
	let body = '';
	res.setEncoding('utf8');
	res.on('data', (chunk: string) => (body = (body + chunk).slice(0, 200)));
	res.on('end', () => {
		req.destroy();
		fail(`upgrade refused: HTTP ${res.statusCode} ${body.trim()}`.trim());
	});
	res.on('error', () => fail(`upgrade refused: HTTP ${res.statusCode}`));
}
