import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { cameOverTls } from './clientAddress.ts';

/** Responses that are not pages (tRPC, /healthz, /metrics, 404s): nothing may load from them, nothing may frame them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * App files SvelteKit serves without its own header: static assets, the service worker (its fetches need
 * `connect-src 'self'`). Same sources as `kit.csp` in svelte.config.js, without nonces.
 */
export const ASSET_CSP =
	"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/**
 * Prerendered pages (the offline shell) carry SvelteKit's policy with script hashes in a `<meta>` tag, which cannot
 * say `frame-ancestors`; the header adds what the tag cannot, and both policies apply.
 */
export const PRERENDERED_PAGE_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'";

const HSTS = 'max-age=31536000; includeSubDomains';

/** The headers every response carries, whoever writes it. */
export function setSecurityHeaders(req: IncomingMessage, res: ServerResponse, trustProxy: number): void {
	res.setHeader('X-Content-Type-Options', 'nosniff');
	res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
	res.setHeader('X-Frame-Options', 'DENY');
	if (cameOverTls(req, trustProxy)) res.setHeader('Strict-Transport-Security', HSTS);
}

function headerIn(args: unknown[], name: string): string | undefined {
	for (const arg of args) {
		if (Array.isArray(arg)) {
			// Raw form: [name, value, name, value, …] or [[name, value], …].
			const flat = arg.flat() as unknown[];
			for (let i = 0; i + 1 < flat.length; i += 2) if (String(flat[i]).toLowerCase() === name) return String(flat[i + 1]);
		} else if (arg && typeof arg === 'object') {
			for (const [key, value] of Object.entries(arg as OutgoingHttpHeaders))
				if (key.toLowerCase() === name && value !== undefined) return String(value);
		}
	}
	return undefined;
}

/**
 * For responses of the SvelteKit app: its pages set their own CSP (nonces, hashes) and keep it; whatever it writes
 * without one gets a policy chosen by its content type when the head is written.
 */
export function defaultAppCsp(res: ServerResponse): void {
	const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
	res.writeHead = ((...args: unknown[]) => {
		if (!res.hasHeader('content-security-policy') && headerIn(args, 'content-security-policy') === undefined) {
			const type = headerIn(args, 'content-type') ?? String(res.getHeader('content-type') ?? '');
			res.setHeader('Content-Security-Policy', type.startsWith('text/html') ? PRERENDERED_PAGE_CSP : ASSET_CSP);
		}
		return writeHead(...args);
	}) as ServerResponse['writeHead'];
}
