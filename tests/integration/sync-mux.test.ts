import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MuxTransport } from '../../src/lib/sync/MuxTransport.ts';
import { encodeMuxFrame, MuxFrameKind } from '../../src/lib/domain/syncProtocol.ts';
import {
	browserLikeWebSocket,
	closedEvent,
	connectProvider,
	firstSocketHangs,
	login,
	upgradeStatus,
	whenDoc,
	whenSynced
} from '../helpers/client.ts';
import { createClinic, createUser, ServerProcess, testEnv } from '../helpers/server.ts';

// Rules SYNC-MUX-* of docs/spec/sync.md: many docs over one socket of `/sync`, each served as `/sync/<doc>` would be.
let server: ServerProcess;
let clinic: string;
let other: string;
let cookie: string;
const providers: WebsocketProvider[] = [];

beforeAll(async () => {
	const env = testEnv({ SYNC_MAX_DOCS_PER_MUX: '3' });
	clinic = await createClinic(env, 'Klinik');
	other = await createClinic(env, 'Başka Klinik');
	const admin = await createUser(env, clinic, 'admin');
	server = await ServerProcess.start(env);
	cookie = await login(server.url, admin.email, admin.password);
});

afterAll(async () => {
	for (const p of providers.splice(0)) p.destroy();
	await server?.stop();
});

/** The unmodified y-websocket provider, its "WebSocket" a channel of `transport`. */
function overTransport(transport: MuxTransport, docName: string): WebsocketProvider {
	const provider = new WebsocketProvider(`${server.wsUrl}/sync`, docName, new Y.Doc(), {
		WebSocketPolyfill: transport.WebSocket,
		disableBc: true,
		maxBackoffTime: 500,
		shouldReconnect: () => false
	});
	providers.push(provider);
	return provider;
}

const transportOf = () => new MuxTransport(server.wsUrl, browserLikeWebSocket(cookie, server.url));

describe('SYNC-MUX-1: the multiplexed socket is authorized as a doc socket is, by cookie and Origin', () => {
	it('refuses no session (401) and a cookie from another site (403); opens for the app', async () => {
		expect(await upgradeStatus(`${server.wsUrl}/sync`, { origin: server.url })).toBe(401);
		expect(await upgradeStatus(`${server.wsUrl}/sync`, { origin: 'https://evil.example', cookie })).toBe(403);
		expect(await upgradeStatus(`${server.wsUrl}/sync`, { origin: server.url, cookie })).toBe(101);
	});
});

describe('SYNC-MUX-2: several docs over one socket sync with standard clients of /sync/<doc>', () => {
	it('edits travel both ways on two docs, over one socket', async () => {
		const transport = transportOf();
		const inbox = overTransport(transport, `${clinic}/inbox`);
		const contacts = overTransport(transport, `${clinic}/contacts`);
		const standard = connectProvider(server.wsUrl, `${clinic}/inbox`, { cookie, origin: server.url });
		providers.push(standard);
		await Promise.all([whenSynced(inbox), whenSynced(contacts), whenSynced(standard)]);

		inbox.doc.getMap('m').set('from', 'mux');
		standard.doc.getMap('m').set('to', 'mux');
		contacts.doc.getMap('m').set('name', 'İpek');
		await whenDoc(standard.doc, (d) => d.getMap('m').get('from') === 'mux');
		await whenDoc(inbox.doc, (d) => d.getMap('m').get('to') === 'mux');

		const reader = connectProvider(server.wsUrl, `${clinic}/contacts`, { cookie, origin: server.url });
		providers.push(reader);
		await whenDoc(reader.doc, (d) => d.getMap('m').get('name') === 'İpek');
		expect(transport.socketsOpened).toBe(1);
		transport.close();
	});
});

describe('SYNC-MUX-3: a refused channel is closed alone, with the code its own socket would get', () => {
	it('another clinic’s doc is refused with 4403 while the socket’s other doc keeps syncing', async () => {
		const transport = transportOf();
		const own = overTransport(transport, `${clinic}/directory`);
		await whenSynced(own);
		const foreign = overTransport(transport, `${other}/inbox`);
		expect((await closedEvent(foreign)).code).toBe(4403);

		const standard = connectProvider(server.wsUrl, `${clinic}/directory`, { cookie, origin: server.url });
		providers.push(standard);
		await whenSynced(standard);
		standard.doc.getMap('m').set('still', 'here');
		await whenDoc(own.doc, (d) => d.getMap('m').get('still') === 'here');
		transport.close();
	});

	it('past SYNC_MAX_DOCS_PER_MUX docs on one socket, the next is refused with 4429', async () => {
		const transport = transportOf();
		const open = [1, 2, 3].map((i) => overTransport(transport, `${clinic}/thread/t${i}`));
		await Promise.all(open.map(whenSynced));
		const extra = overTransport(transport, `${clinic}/thread/t4`);
		expect((await closedEvent(extra)).code).toBe(4429);
		transport.close();
	});
});

describe('SYNC-MUX-4: a malformed frame closes the socket with 4400', () => {
	it.each([
		['an unknown frame kind', Uint8Array.from([1, 9])],
		['a channel id past the range', Uint8Array.from([0xff, 0xff, 0xff, 0x7f, 1])],
		['an open frame whose name runs past the end', Uint8Array.from([1, MuxFrameKind.open, 40, 65])]
	])('%s', async (_what, frame) => {
		const ws = new WebSocket(`${server.wsUrl}/sync`, { headers: { cookie, origin: server.url } });
		await new Promise((resolve) => ws.once('open', resolve));
		const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
		ws.send(frame);
		expect(await closed).toBe(4400);
	});

	it('a message for a channel that is not open is ignored, not fatal', async () => {
		const ws = new WebSocket(`${server.wsUrl}/sync`, { headers: { cookie, origin: server.url } });
		await new Promise((resolve) => ws.once('open', resolve));
		ws.send(encodeMuxFrame({ channel: 7, kind: MuxFrameKind.message, message: Uint8Array.from([0, 0, 0]) }));
		ws.send(encodeMuxFrame({ channel: 8, kind: MuxFrameKind.open, docName: `${clinic}/directory` }));
		// The open channel answers with the server's step 1: the socket survived the stray message.
		const first = await new Promise<Buffer>((resolve) => ws.once('message', (data: Buffer) => resolve(data)));
		expect([first[0], first[1]]).toEqual([8, MuxFrameKind.message]);
		ws.close();
	});
});

describe('SYNC-MUX-7: a shared socket that finishes closing late ends only the channels that were on it', () => {
	it('a doc reconnected while the old socket was still closing keeps its new channel, and syncs', async () => {
		const sockets: WebSocket[] = [];
		const Base = browserLikeWebSocket(cookie, server.url) as unknown as typeof WebSocket;
		class Recorded extends Base {
			constructor(address: string | URL, protocols?: string | string[]) {
				super(address, protocols);
				sockets.push(this);
			}
		}
		const transport = new MuxTransport(server.wsUrl, Recorded as unknown as typeof globalThis.WebSocket);
		const schedule = overTransport(transport, `${clinic}/schedule/2026-12`);
		await whenSynced(schedule);

		// The device went offline (its docs let go, the shared socket asked to close) and came back before that close
		// finished: the doc opens on a new socket at once.
		schedule.disconnect();
		transport.close();
		const oldClosed = new Promise((resolve) => sockets[0].once('close', resolve));
		schedule.connect();
		await whenSynced(schedule);
		await oldClosed;
		expect(transport.socketsOpened).toBe(2);
		// The old socket's close did not take the new channel with it: the doc still syncs both ways.
		expect(schedule.wsconnected).toBe(true);
		const standard = connectProvider(server.wsUrl, `${clinic}/schedule/2026-12`, { cookie, origin: server.url });
		providers.push(standard);
		await whenSynced(standard);
		schedule.doc.getMap('m').set('after', 'reconnect');
		standard.doc.getMap('m').set('from', 'desk');
		await whenDoc(standard.doc, (d) => d.getMap('m').get('after') === 'reconnect');
		await whenDoc(schedule.doc, (d) => d.getMap('m').get('from') === 'desk');
		transport.close();
	});

	it('back online, a shared socket still connecting is dropped, and the docs reconnect on a fresh one', async () => {
		const hanging = await firstSocketHangs(browserLikeWebSocket(cookie, server.url), server.port);
		try {
			const transport = new MuxTransport(server.wsUrl, hanging.WebSocket);
			const inbox = overTransport(transport, `${clinic}/inbox`);
			expect(inbox.wsconnecting).toBe(true);
			// What the device does on 'online': the unopened socket goes, then each doc connects again.
			transport.dropUnopened();
			inbox.disconnect();
			inbox.connect();
			await whenSynced(inbox);
			expect(transport.socketsOpened).toBe(2);
			transport.close();
		} finally {
			hanging.close();
		}
	});
});
