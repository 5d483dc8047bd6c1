import WebSocket from 'ws';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';
import { closedEvent, connectProvider, login, trpc, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';

let server: ServerProcess;
let clinic: string;
let user: TestUser;
let cookie: string;
const MAX_MESSAGE = 1024 * 1024;

beforeAll(async () => {
	const env = testEnv({ SYNC_MAX_MESSAGE_BYTES: String(MAX_MESSAGE) });
	clinic = await createClinic(env);
	user = await createUser(env, clinic, 'practitioner');
	server = await ServerProcess.start(env);
	cookie = await login(server.url, user.email, user.password);
});

afterAll(async () => {
	await server?.stop();
});

const providerFor = (docName: string, doc?: Y.Doc) => connectProvider(server.wsUrl, docName, { cookie, origin: server.url, doc });

describe('SYNC-PROTO-1: unmodified y-websocket clients converge through the server', () => {
	it('two clients see each other’s edits, both ways, and end with identical docs', async () => {
		const name = `${clinic}/inbox`;
		const a = providerFor(name);
		const b = providerFor(name);
		await Promise.all([whenSynced(a), whenSynced(b)]);
		a.doc.getMap('threads').set('t1', 'from a');
		b.doc.getArray('log').push(['from b']);
		await withTimeout(
			whenDoc(b.doc, (d) => d.getMap('threads').get('t1') === 'from a'),
			5000,
			'b sees a'
		);
		await withTimeout(
			whenDoc(a.doc, (d) => d.getArray('log').length === 1),
			5000,
			'a sees b'
		);
		expect(Y.encodeStateAsUpdate(a.doc)).toEqual(Y.encodeStateAsUpdate(b.doc));
		a.destroy();
		b.destroy();
	});

	it('a client that joins later receives everything written before', async () => {
		const name = `${clinic}/contacts`;
		const a = providerFor(name);
		await whenSynced(a);
		for (let i = 0; i < 50; i++) a.doc.getMap('contacts').set(`c${i}`, { n: i });
		const b = providerFor(name);
		await withTimeout(
			whenDoc(b.doc, (d) => d.getMap('contacts').size === 50),
			5000,
			'late joiner has all'
		);
		a.destroy();
		b.destroy();
	});

	it('relays awareness (presence) between clients', async () => {
		const name = `${clinic}/schedule/2026-11`;
		const a = providerFor(name);
		const b = providerFor(name);
		await Promise.all([whenSynced(a), whenSynced(b)]);
		a.awareness.setLocalStateField('user', { name: 'Ayşe' });
		await withTimeout(
			new Promise<void>((resolve) => {
				const check = () => {
					if ([...b.awareness.getStates().values()].some((s) => s.user?.name === 'Ayşe')) resolve();
				};
				b.awareness.on('change', check);
				check();
			}),
			5000,
			'presence relayed'
		);
		a.destroy();
		b.destroy();
	});
});

describe('SYNC-PROTO-3: the server echoes a committed update to its writer too, as its acknowledgement', () => {
	it('sends the writer an update covering what it wrote', async () => {
		const ws = new WebSocket(`${server.wsUrl}/sync/${clinic}/thread/ack`, { headers: { cookie, origin: server.url } });
		const updates: Uint8Array[] = [];
		let onUpdate = () => {};
		ws.on('message', (data: Buffer) => {
			// [sync, update, payload]
			if (data[0] === 0 && data[1] === 2) {
				updates.push(decoding.readVarUint8Array(decoding.createDecoder(new Uint8Array(data).subarray(2))));
				onUpdate();
			}
		});
		await new Promise((resolve) => ws.once('open', resolve));
		const doc = new Y.Doc();
		doc.getText('t').insert(0, 'hello');
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 0);
		encoding.writeVarUint(encoder, 2);
		encoding.writeVarUint8Array(encoder, Y.encodeStateAsUpdate(doc));
		ws.send(encoding.toUint8Array(encoder));
		await withTimeout(
			new Promise<void>((resolve) => {
				onUpdate = () => {
					if (updates.some((u) => Y.parseUpdateMeta(u).to.get(doc.clientID) === 5)) resolve();
				};
			}),
			5000,
			'echo'
		);
		ws.close();
	});
});

describe('SYNC-REVOKE-1: ending a session closes its open sockets with 4401 within a second', () => {
	it('closes the socket of a revoked session', async () => {
		const second = await login(server.url, user.email, user.password);
		const provider = connectProvider(server.wsUrl, `${clinic}/directory`, { cookie: second, origin: server.url });
		await whenSynced(provider);
		const sessions = await trpc(server.url, 'auth.sessions', undefined, { cookie, method: 'GET' });
		const list = sessions.body.result!.data as { id: string; current: boolean }[];
		const secondId = list.find((s) => !s.current && list.length > 1)!.id;
		const closed = closedEvent(provider);
		const revokedAt = Date.now();
		expect((await trpc(server.url, 'auth.revoke', { id: secondId }, { cookie })).status).toBe(200);
		const event = await withTimeout(closed, 1000, 'socket closed within 1 s');
		expect(event.code).toBe(4401);
		expect(Date.now() - revokedAt).toBeLessThan(1000);
		provider.destroy();
	});
});

describe('SYNC-INPUT-1: bad input closes only the socket that sent it', () => {
	async function rawSocket(name: string): Promise<WebSocket> {
		const ws = new WebSocket(`${server.wsUrl}/sync/${name}`, { headers: { cookie, origin: server.url } });
		await new Promise((resolve, reject) => {
			ws.once('open', resolve);
			ws.once('error', reject);
		});
		return ws;
	}
	const closeCode = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

	function validUpdateMessage(text: string): Uint8Array {
		const doc = new Y.Doc();
		doc.getText('t').insert(0, text);
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 0);
		encoding.writeVarUint(encoder, 2);
		encoding.writeVarUint8Array(encoder, Y.encodeStateAsUpdate(doc));
		return encoding.toUint8Array(encoder);
	}

	it('random bytes, truncated messages, text frames and oversized frames each close their socket; a bystander keeps syncing', async () => {
		const name = `${clinic}/thread/bad-input`;
		const bystander = providerFor(name);
		await whenSynced(bystander);
		bystander.doc.getMap('m').set('before', 1);

		const valid = validUpdateMessage('hello');
		const attacks: [string, Uint8Array | string, number[]][] = [
			['random bytes', Uint8Array.from([0xff, 0xff, 0xff, 0x7f, 0x01, 0x02, 0x03, 0x04]), [4400]],
			['truncated update', valid.subarray(0, valid.length - 3), [4400]],
			['update with trailing bytes', Uint8Array.from([...valid, 1, 2, 3]), [4400]],
			['unknown sync step', Uint8Array.from([0, 9, 0]), [4400]],
			['text frame', 'hello', [4400]],
			['oversized frame', new Uint8Array(MAX_MESSAGE + 1), [1009]]
		];
		for (const [what, payload, codes] of attacks) {
			const ws = await rawSocket(name);
			const closed = closeCode(ws);
			ws.send(payload);
			expect(codes, what).toContain(await withTimeout(closed, 5000, what));
		}
		for (let i = 0; i < 200; i++) {
			const ws = await rawSocket(name);
			const closed = closeCode(ws);
			ws.send(Buffer.from(Array.from({ length: 1 + (i % 40) }, (_, j) => (i * 31 + j * 17) & 0xff)));
			await withTimeout(closed, 5000, `random message ${i}`);
		}

		// The bystander's socket and the doc are unharmed: a new client gets everything, and edits still flow.
		expect(bystander.wsconnected).toBe(true);
		const late = providerFor(name);
		await withTimeout(
			whenDoc(late.doc, (d) => d.getMap('m').get('before') === 1),
			5000,
			'doc intact'
		);
		late.doc.getMap('m').set('after', 2);
		await withTimeout(
			whenDoc(bystander.doc, (d) => d.getMap('m').get('after') === 2),
			5000,
			'still syncing'
		);
		expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
		bystander.destroy();
		late.destroy();
	});
});
