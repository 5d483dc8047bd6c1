import type { IncomingMessage } from 'node:http';
import net from 'node:net';

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
function normalize(address: string): string {
	return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/**
 * The client's address: the socket's peer, or, behind `trustProxy` reverse proxies, the address that many hops
 * from the right of `X-Forwarded-For` (each proxy appends the peer it saw). With 0 the header is ignored: any
 * client can forge it.
 */
export function clientAddress(req: IncomingMessage, trustProxy: number): string {
	const peer = normalize(req.socket.remoteAddress ?? 'unknown');
	if (trustProxy === 0) return peer;
	const header = req.headers['x-forwarded-for'];
	const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
	if (hops.length === 0) return peer;
	// Fewer hops than proxies: the leftmost one is as far as the chain goes.
	const candidate = normalize(hops[Math.max(0, hops.length - trustProxy)]);
	return net.isIP(candidate) ? candidate : peer;
}

export function isLoopback(address: string | undefined): boolean {
	if (!address) return false;
	const a = normalize(address);
	return a === '::1' || (net.isIPv4(a) && a.startsWith('127.'));
}

/** Whether the request reached us over TLS: our own socket, or (behind a trusted proxy) the proxy's `X-Forwarded-Proto`. */
export function cameOverTls(req: IncomingMessage, trustProxy: number): boolean {
	if ('encrypted' in req.socket && req.socket.encrypted === true) return true;
	if (trustProxy === 0) return false;
	const proto = req.headers['x-forwarded-proto'];
	const first = (Array.isArray(proto) ? proto[0] : (proto ?? '')).split(',')[0].trim().toLowerCase();
	return first === 'https';
}
