import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { DocConnection, type ConnectionState } from '../../src/lib/sync/DocConnection.ts';
import { MuxTransport } from '../../src/lib/sync/MuxTransport.ts';
import { startClinicServer } from '../helpers/clinic.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { ServerProcess } from '../helpers/server.ts';
import {
	browserLikeWebSocket,
	connectProvider,
	firstSocketHangs,
	trpc,
	until,
	whenDoc,
	whenSynced,
	withTimeout
} from '../helpers/client.ts';

// The device's connection (src/lib/sync/DocConnection.ts) against the real server: rules DEVICE-SYNC-* .
const running: ServerProcess[] = [];
const connections: DocConnection[] = [];
afterEach(async () => {
	for (const c of connections.splice(0)) c.destroy();
	await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
});

async function setup() {
	const started = await startClinicServer('reception');
	running.push(started.server);
	return started;
}

function connect(
	server: ServerProcess,
	docName: string,
	opts: {
		/** The WebSocket class the connection uses; a browser-like one with the cookie unless given. */
		WebSocket?: typeof globalThis.WebSocket;
		cookie?: string;
		ticket?: () => Promise<string>;
		doc?: Y.Doc;
		/** Replaces the real session check (a test holds its answer). */
		sessionStands?: () => Promise<boolean | 'unreachable'>;
		/** Whether to call `start` at once (the device starts a doc once it has loaded). */
		start?: boolean;
		sessionCheckMs?: number;
		onStalled?: () => void;
		stallCheckMs?: number;
		connectTimeoutMs?: number;
	}
): {
	connection: DocConnection;
	states: ConnectionState[];
	reached: (s: ConnectionState) => Promise<void>;
	next: (s: ConnectionState) => Promise<void>;
	acknowledged: (client: number, clock: number) => Promise<void>;
} {
	const states: ConnectionState[] = [];
	const stateVectors: Map<number, number>[] = [];
	let waiters: { state: ConnectionState; resolve: () => void }[] = [];
	let ackWaiters: (() => void)[] = [];
	const connection = new DocConnection(docName, opts.doc ?? new Y.Doc(), {
		url: `${server.wsUrl}/sync`,
		ticket: opts.ticket,
		sessionCheckMs: opts.sessionCheckMs,
		onStalled: opts.onStalled,
		stallCheckMs: opts.stallCheckMs,
		connectTimeoutMs: opts.connectTimeoutMs,
		WebSocket:
			opts.WebSocket ?? browserLikeWebSocket(opts.ticket ? null : (opts.cookie ?? null), opts.ticket ? null : server.url),
		sessionStands:
			opts.sessionStands ??
			(async () => {
				try {
					const res = await trpc(server.url, 'auth.me', undefined, { cookie: opts.cookie, method: 'GET' });
					return (res.body.result?.data as { user: unknown }).user !== null;
				} catch {
					return 'unreachable';
				}
			}),
		onState: (state) => {
			states.push(state);
			const due = waiters.filter((w) => w.state === state);
			waiters = waiters.filter((w) => w.state !== state);
			for (const w of due) w.resolve();
		},
		onServerStateVector: (sv) => {
			stateVectors.push(sv);
			const due = ackWaiters;
			ackWaiters = [];
			for (const check of due) check();
		}
	});
	connections.push(connection);
	if (opts.start !== false) connection.start();
	const next = (state: ConnectionState) => new Promise<void>((resolve) => waiters.push({ state, resolve }));
	const reached = (state: ConnectionState) => (states.includes(state) ? Promise.resolve() : next(state));
	const acknowledged = (client: number, clock: number) =>
		new Promise<void>((resolve) => {
			const check = () => {
				if (stateVectors.some((sv) => (sv.get(client) ?? 0) >= clock)) resolve();
				else ackWaiters.push(check);
			};
			check();
		});
	return { connection, states, reached, next, acknowledged };
}

/** A session check the test answers when it likes (`answer`), counting how often it was asked. */
function heldSessionCheck() {
	const check = {
		asked: 0,
		answer: (_stands: boolean | 'unreachable') => {},
		sessionStands: () => {
			check.asked++;
			return new Promise<boolean | 'unreachable'>((resolve) => (check.answer = resolve));
		}
	};
	return check;
}

describe('DEVICE-SYNC-1: the device connection syncs and learns what the server has stored', () => {
	it('reaches synced, and the server’s state vector comes to cover a local edit', async () => {
		const { clinic, server, cookie } = await setup();
		const doc = new Y.Doc();
		const c = connect(server, `${clinic}/schedule/2026-11`, { cookie, doc });
		await withTimeout(c.reached('synced'), 5000, 'synced');
		doc.getMap('appointments').set('a1', 'x');
		const clock = Y.getState(doc.store, doc.clientID);
		await withTimeout(c.acknowledged(doc.clientID, clock), 5000, 'acknowledged');
	});
});

describe('DEVICE-SYNC-2: an auth refusal stops the connection instead of retrying forever', () => {
	it('a revoked session (4401) ends in signed-out and stays there', async () => {
		const { clinic, server, cookie } = await setup();
		const c = connect(server, `${clinic}/inbox`, { cookie });
		await withTimeout(c.reached('synced'), 5000, 'synced');
		await trpc(server.url, 'auth.logout', undefined, { cookie });
		await withTimeout(c.reached('signed-out'), 2000, 'signed out');
		expect(c.connection.provider.shouldConnect).toBe(false);
		c.connection.reconnect();
		expect(c.connection.provider.wsconnecting).toBe(false);
		expect(c.states.at(-1)).toBe('signed-out');
	});

	it('a refused upgrade (401 before open) ends in signed-out once the server confirms the session is gone', async () => {
		const { clinic, server } = await setup();
		const c = connect(server, `${clinic}/inbox`, { cookie: 'fd_session=not-a-session' });
		await withTimeout(c.reached('signed-out'), 5000, 'signed out');
		expect(c.states).not.toContain('synced');
	});
});

describe('DEVICE-SYNC-3: tickets are fetched anew for every connect', () => {
	it('reconnects after a server restart with a fresh ticket', async () => {
		const { env, clinic, server, cookie } = await setup();
		const docName = `${clinic}/contacts`;
		let current = server;
		let issued = 0;
		const ticket = async () => {
			issued++;
			const res = await trpc(current.url, 'sync.ticket', { doc: docName }, { cookie });
			if (res.status !== 200) throw new Error(`ticket: ${res.status}`);
			return (res.body.result!.data as { ticket: string }).ticket;
		};
		const doc = new Y.Doc();
		const c = connect(server, docName, { cookie, ticket, doc });
		await withTimeout(c.reached('synced'), 5000, 'first sync');
		doc.getMap('contacts').set('c1', 'kept');

		const port = server.port;
		await server.stop('SIGTERM');
		await withTimeout(c.reached('offline'), 5000, 'offline');
		const syncedAgain = c.next('synced');
		current = await ServerProcess.start(env, port);
		running.push(current);
		await withTimeout(syncedAgain, 20_000, 'synced again');
		expect(issued).toBeGreaterThanOrEqual(2);
	});
});

describe('DEVICE-SYNC-7: offline tries nothing; back online connects at once, and a live socket is never called offline', () => {
	it('a doc opened offline that comes back online before it started connects when it starts', async () => {
		const { clinic, server, cookie } = await setup();
		const c = connect(server, `${clinic}/inbox`, { cookie, start: false });
		c.connection.pause();
		c.connection.reconnect();
		c.connection.start();
		await withTimeout(c.reached('synced'), 5000, 'synced');
	});

	it('paused while the session check of a failed attempt is out, the attempt is not retried and nothing more is asked', async () => {
		const { clinic, server, cookie } = await setup();
		const check = heldSessionCheck();
		const c = connect(server, `${clinic}/inbox`, { cookie, start: false, sessionStands: check.sessionStands });
		// The server is gone: the first attempt closes before it opens, and the device asks whether the session stands.
		await server.stop('SIGKILL');
		running.splice(0);
		c.connection.start();
		await withTimeout(
			until(() => check.asked > 0),
			5000,
			'the session check'
		);
		// The device goes offline while it waits for the answer; the answer then schedules nothing.
		c.connection.pause();
		check.answer('unreachable');
		// Nothing to await when nothing may happen: a retry would come within 625 ms (the first backoff, jitter included).
		await new Promise((resolve) => setTimeout(resolve, 1000));
		expect(c.connection.provider.ws).toBe(null);
		expect(c.states.at(-1)).toBe('offline');
		expect(check.asked).toBe(1);
	});

	it('a retry that waited for the session check leaves alone the socket opened meanwhile', async () => {
		const { env, clinic, server, cookie } = await setup();
		const check = heldSessionCheck();
		const c = connect(server, `${clinic}/inbox`, { cookie, start: false, sessionStands: check.sessionStands });
		const port = server.port;
		await server.stop('SIGKILL');
		running.splice(0);
		c.connection.start();
		await withTimeout(
			until(() => check.asked > 0),
			5000,
			'the session check'
		);
		// Back: the server answers again and the device comes online before the check of the failed attempt returns.
		running.push(await ServerProcess.start(env, port));
		c.connection.pause();
		c.connection.reconnect();
		await withTimeout(c.reached('synced'), 5000, 'synced');
		check.answer('unreachable');
		await new Promise((resolve) => setImmediate(resolve));
		expect(c.connection.state).toBe('synced');
		expect(c.connection.provider.wsconnected).toBe(true);
	});

	it('a session check that never answers counts as unreachable: the doc keeps trying and connects', async () => {
		const { env, clinic, server, cookie } = await setup();
		let asked = 0;
		const c = connect(server, `${clinic}/inbox`, {
			cookie,
			start: false,
			sessionCheckMs: 300,
			sessionStands: () => {
				asked++;
				return new Promise(() => {});
			}
		});
		const port = server.port;
		await server.stop('SIGKILL');
		running.splice(0);
		c.connection.start();
		await withTimeout(c.reached('offline'), 5000, 'offline');
		running.push(await ServerProcess.start(env, port));
		await withTimeout(c.reached('synced'), 10_000, 'synced after the hanging checks');
		expect(asked).toBeGreaterThanOrEqual(1);
	});

	it('back online, an attempt still connecting (begun while offline) is replaced by a fresh one', async () => {
		const { clinic, server, cookie } = await setup();
		// The first socket stays "connecting", as one opened while the network was gone may.
		const hanging = await firstSocketHangs(browserLikeWebSocket(cookie, server.url), server.port);
		try {
			const c = connect(server, `${clinic}/inbox`, { cookie, WebSocket: hanging.WebSocket });
			await withTimeout(
				until(() => c.connection.provider.wsconnecting),
				5000,
				'the hanging attempt'
			);
			c.connection.reconnect();
			await withTimeout(c.reached('synced'), 5000, 'synced on a fresh socket');
			expect(hanging.opened()).toBe(2);
		} finally {
			hanging.close();
		}
	});
});

describe('DEVICE-SYNC-9: a socket that stays connecting is dropped and tried again', () => {
	it('with no online event to help, the doc connects on its next attempt', async () => {
		const { clinic, server, cookie } = await setup();
		const hanging = await firstSocketHangs(browserLikeWebSocket(cookie, server.url), server.port);
		try {
			const c = connect(server, `${clinic}/inbox`, { cookie, WebSocket: hanging.WebSocket, connectTimeoutMs: 300 });
			await withTimeout(c.reached('synced'), 5000, 'synced on the next attempt');
			expect(hanging.opened()).toBe(2);
		} finally {
			hanging.close();
		}
	});
});

describe('DEVICE-SYNC-8: a change the server never acknowledges, on a socket gone silent, is sent again on a new one', () => {
	it('the shared socket stops carrying anything without closing; the edit still reaches the server', async () => {
		const { clinic, server, cookie } = await setup();
		const proxy = await CuttableProxy.start(server.port);
		const transport = new MuxTransport(`ws://127.0.0.1:${proxy.port}`, browserLikeWebSocket(cookie, proxy.url));
		try {
			const doc = new Y.Doc();
			const c = connect(server, `${clinic}/contacts`, {
				cookie,
				doc,
				WebSocket: transport.WebSocket,
				onStalled: () => transport.abandon(),
				stallCheckMs: 300
			});
			await withTimeout(c.reached('synced'), 5000, 'synced');
			proxy.freeze();
			doc.getMap('m').set('typed', 'while the network was gone');
			const desk = connectProvider(server.wsUrl, `${clinic}/contacts`, { cookie, origin: server.url });
			try {
				await withTimeout(whenSynced(desk), 5000, 'desk synced');
				await withTimeout(
					whenDoc(desk.doc, (d) => d.getMap('m').get('typed') === 'while the network was gone'),
					10_000,
					'the edit on the server'
				);
				expect(transport.socketsOpened).toBe(2);
			} finally {
				desk.destroy();
			}
		} finally {
			transport.close();
			await proxy.cut();
		}
	});
});
