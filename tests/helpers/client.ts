import net from 'node:net';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

/** Calls a tRPC procedure over plain HTTP the way any client would. */
export async function trpc(
	baseUrl: string,
	procedure: string,
	input: unknown,
	opts: { cookie?: string; method?: 'GET' | 'POST'; origin?: string } = {}
): Promise<{
	status: number;
	body: { result?: { data: unknown }; error?: { message: string; data: { code: string; validation: unknown } } };
	setCookie: string[];
}> {
	const method = opts.method ?? 'POST';
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	if (opts.cookie) headers.cookie = opts.cookie;
	if (opts.origin) headers.origin = opts.origin;
	const url =
		method === 'GET'
			? `${baseUrl}/trpc/${procedure}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`
			: `${baseUrl}/trpc/${procedure}`;
	const res = await fetch(url, { method, headers, body: method === 'POST' ? JSON.stringify(input ?? null) : undefined });
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : {}, setCookie: res.headers.getSetCookie() };
}

/** Signs in and returns the `fd_session=…` cookie pair. */
export async function login(baseUrl: string, email: string, password: string): Promise<string> {
	const res = await trpc(baseUrl, 'auth.login', { email, password });
	if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
	const cookie = res.setCookie.find((c) => c.startsWith('fd_session='));
	if (!cookie) throw new Error('no session cookie');
	return cookie.split(';')[0];
}

/** A `ws` WebSocket class that sends the headers a browser page of `origin` would. */
export function browserLikeWebSocket(cookie: string | null, origin: string | null): typeof globalThis.WebSocket {
	class BrowserLike extends WebSocket {
		constructor(address: string | URL, protocols?: string | string[]) {
			const headers: Record<string, string> = {};
			if (cookie) headers.cookie = cookie;
			if (origin) headers.origin = origin;
			super(address, protocols, { headers });
		}
	}
	// y-websocket wants the DOM WebSocket type; `ws` implements the part it uses.
	return BrowserLike as unknown as typeof globalThis.WebSocket;
}

/**
 * In Node every y-websocket provider adds a process 'exit' listener (to say its presence is gone) until destroyed;
 * a test that holds a clinic's docs holds a dozen or more at once, which is no leak.
 */
const PROVIDERS_HELD_AT_ONCE = 100;
if (process.getMaxListeners() < PROVIDERS_HELD_AT_ONCE) process.setMaxListeners(PROVIDERS_HELD_AT_ONCE);

/** The unmodified y-websocket client, with BroadcastChannel off so that only the server can carry updates. */
export function connectProvider(
	wsUrl: string,
	docName: string,
	opts: { cookie?: string | null; origin?: string | null; ticket?: string; doc?: Y.Doc; connect?: boolean } = {}
): WebsocketProvider {
	const doc = opts.doc ?? new Y.Doc();
	return new WebsocketProvider(`${wsUrl}/sync`, docName, doc, {
		WebSocketPolyfill: browserLikeWebSocket(opts.cookie ?? null, opts.origin ?? null),
		disableBc: true,
		params: opts.ticket ? { ticket: opts.ticket } : {},
		connect: opts.connect ?? true,
		maxBackoffTime: 500
	});
}

export function whenSynced(provider: WebsocketProvider): Promise<void> {
	if (provider.synced) return Promise.resolve();
	return new Promise((resolve) => {
		const onSync = (synced: boolean) => {
			if (synced) {
				provider.off('sync', onSync);
				resolve();
			}
		};
		provider.on('sync', onSync);
	});
}

/** Resolves when `predicate` holds for the doc, re-checking on every update (no polling). */
export function whenDoc(doc: Y.Doc, predicate: (doc: Y.Doc) => boolean): Promise<void> {
	if (predicate(doc)) return Promise.resolve();
	return new Promise((resolve) => {
		const check = () => {
			if (predicate(doc)) {
				doc.off('update', check);
				resolve();
			}
		};
		doc.on('update', check);
	});
}

export function closedEvent(provider: WebsocketProvider): Promise<{ code: number; reason: string }> {
	return new Promise((resolve) => provider.once('closed', (event) => resolve(event)));
}

/** Opens a raw socket and resolves with the HTTP status of a refused upgrade, or 101 when it opened. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { headers });
		ws.once('open', () => {
			ws.close();
			resolve(101);
		});
		ws.once('unexpected-response', (_req, res) => {
			resolve(res.statusCode ?? 0);
			ws.terminate();
		});
		ws.once('error', (error) => {
			if (!/Unexpected server response/.test(error.message)) reject(error);
		});
	});
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
		promise.then(
			(v) => {
				clearTimeout(timer);
				resolve(v);
			},
			(e: unknown) => {
				clearTimeout(timer);
				reject(e instanceof Error ? e : new Error(String(e)));
			}
		);
	});
}

/**
 * Polls a condition on state that has no event to await (a fake provider's, another process's); fails with `what`
 * after `ms`.
 */
export async function pollUntil(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
	const deadline = Date.now() + ms;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/**
 * A WebSocket class whose first socket goes to a server that accepts the connection and never answers the upgrade
 * (it stays "connecting", as one opened while the network was gone may); later sockets reach `serverPort` as asked.
 */
export async function firstSocketHangs(
	Base: typeof globalThis.WebSocket,
	serverPort: number
): Promise<{ WebSocket: typeof globalThis.WebSocket; opened: () => number; close: () => void }> {
	const silent = net.createServer(() => {});
	await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
	const silentPort = (silent.address() as net.AddressInfo).port;
	let opened = 0;
	const Real = Base as unknown as new (address: string, protocols?: string | string[]) => WebSocket;
	class FirstHangs extends Real {
		constructor(address: string | URL, protocols?: string | string[]) {
			const url = String(address);
			super(opened++ === 0 ? url.replace(`:${serverPort}/`, `:${silentPort}/`) : url, protocols);
		}
	}
	return { WebSocket: FirstHangs as unknown as typeof globalThis.WebSocket, opened: () => opened, close: () => silent.close() };
}

/** Resolves once `condition` holds, checked every 10 ms (for state that announces itself with no event). */
export function until(condition: () => boolean): Promise<void> {
	return new Promise((resolve) => {
		const poll = () => (condition() ? resolve() : setTimeout(poll, 10));
		poll();
	});
}
