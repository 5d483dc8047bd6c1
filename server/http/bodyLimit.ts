import type { IncomingMessage, ServerResponse } from 'node:http';

/** The declared body length is over the limit: refuse it before reading a byte. */
export function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
	const declared = req.headers['content-length'];
	return declared !== undefined && Number(declared) > limit;
}

/**
 * Reads a request body of at most `limit` bytes, counting as it streams (chunked bodies declare no length).
 * Resolves null as soon as the count passes the limit; the rest is never read.
 */
export function readBoundedBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const cleanup = () => {
			req.off('data', onData);
			req.off('end', onEnd);
			req.off('error', onError);
			req.off('aborted', onAborted);
		};
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				cleanup();
				req.pause();
				chunks.length = 0;
				resolve(null);
				return;
			}
			chunks.push(chunk);
		};
		const onEnd = () => {
			cleanup();
			resolve(Buffer.concat(chunks, size));
		};
		const onError = (error: Error) => {
			cleanup();
			reject(error);
		};
		const onAborted = () => onError(new Error('request aborted'));
		req.on('data', onData);
		req.on('end', onEnd);
		req.on('error', onError);
		req.on('aborted', onAborted);
	});
}

/** After a 413, what the client still sends is discarded for at most this long / this much, then the socket is cut. */
const LINGER_MS = 1000;
const LINGER_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Answers 413 and closes the connection: the unread rest of the body must not be parsed as a next request,
 * and reading it to the end is what the limit exists to avoid. The close lingers briefly (as nginx's
 * `lingering_close`): FIN after the answer, then discard a bounded amount, because closing a socket with unread
 * data sends a reset that can destroy the 413 before the client reads it.
 */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
	const body = JSON.stringify({
		error: { message: `request body over ${limit} bytes`, code: -32013, data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 } }
	});
	const socket = req.socket;
	// Node ends a `Connection: close` response with destroySoon(): FIN, then destroy at once. Keep only the FIN.
	socket.destroySoon = function (this: typeof socket) {
		if (this.writable) this.end();
	};
	const cut = () => socket.destroy();
	const timer = setTimeout(cut, LINGER_MS);
	timer.unref();
	socket.once('close', () => clearTimeout(timer));
	let discarded = 0;
	req.on('data', (chunk: Buffer) => {
		discarded += chunk.length;
		if (discarded > LINGER_MAX_BYTES) cut();
	});
	req.resume();
	res.writeHead(413, { 'content-type': 'application/json', connection: 'close', 'content-length': Buffer.byteLength(body) });
	res.end(body);
}
