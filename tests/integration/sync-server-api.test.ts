import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Accounts, Sessions, SyncTickets } from '../../server/auth/index.ts';
import { openStoreAndKeys } from '../../server/boot.ts';
import { loadConfig } from '../../server/config/index.ts';
import { createMetrics } from '../../server/metrics.ts';
import { SyncServer, type CommittedUpdate, type SyncHooks } from '../../server/sync/index.ts';
import type { Store } from '../../server/store/index.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { connectProvider, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import { RawPeer } from '../helpers/rawPeer.ts';
import { testEnv } from '../helpers/server.ts';

// The sync server's seams, in process on a real SQLite store: SYNC-PROTO-2, SYNC-PROTO-4, SYNC-WRITE-*, SYNC-HOOK-*.
interface Running {
	sync: SyncServer;
	store: Store;
	clinic: string;
	userId: string;
	sessionId: string;
	cookie: string;
	/** A second session of the same user: another device, another writer. */
	second: { sessionId: string; cookie: string };
	wsUrl: string;
	origin: string;
	close(): Promise<void>;
}

const running: Running[] = [];
afterEach(async () => {
	for (const r of running.splice(0)) await r.close();
});

async function start(hooks: SyncHooks[] = []): Promise<Running> {
	const config = loadConfig(testEnv());
	const { store, keyring } = await openStoreAndKeys(config);
	const accounts = new Accounts(store, keyring);
	const clinic = await accounts.createClinic({ name: 'Seams' });
	const user = await accounts.createUser({
		clinicId: clinic.id,
		email: `seams-${process.hrtime.bigint()}@example.com`,
		name: 'Seams',
		role: 'admin',
		password: 'a long enough password'
	});
	const sessions = new Sessions(store);
	const { token, session } = await sessions.create(user.id, { ip: null, userAgent: null });
	const other = await sessions.create(user.id, { ip: null, userAgent: null });
	const sync = new SyncServer({
		store,
		keyring,
		sessions,
		tickets: new SyncTickets(store),
		logger: pino({ level: 'silent' }),
		metrics: createMetrics(),
		origins: [],
		limits: config.sync,
		sessionRecheckMs: 60_000,
		compactAfterUpdates: 500,
		hooks
	});
	const server = http.createServer();
	server.on('upgrade', (req, socket, head) => void sync.handleUpgrade(req, socket, head));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	const r: Running = {
		sync,
		store,
		clinic: clinic.id,
		userId: user.id,
		sessionId: session.id,
		cookie: `fd_session=${token}`,
		second: { sessionId: other.session.id, cookie: `fd_session=${other.token}` },
		wsUrl: `ws://127.0.0.1:${port}`,
		origin: `http://127.0.0.1:${port}`,
		async close() {
			await sync.close();
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
			await store.close();
		}
	};
	running.push(r);
	return r;
}

const JOB: TransactionOrigin = { source: 'job', name: 'test' };

describe('SYNC-PROTO-4: the server writes through the same path: committed, then relayed', () => {
	it('a handle write is stored before whenDurable resolves, and reaches a connected device', async () => {
		const r = await start();
		const name = `${r.clinic}/inbox`;
		const device = connectProvider(r.wsUrl, name, { cookie: r.cookie, origin: r.origin });
		await whenSynced(device);
		const handle = await r.sync.open(name, { source: 'channel', provider: 'whatsapp' });
		await handle.transact((doc) => doc.getMap('threads').set('t1', 'incoming message'));
		await handle.whenDurable();
		expect((await r.store.docs.load(name)).length).toBeGreaterThan(0);
		await withTimeout(
			whenDoc(device.doc, (d) => d.getMap('threads').get('t1') === 'incoming message'),
			5000,
			'relayed'
		);
		handle.release();
		device.destroy();
	});
});

describe('SYNC-WRITE-1: whenDurable means stored; a failed commit rejects it', () => {
	it('rejects when the store fails, and the handle says the doc closed', async () => {
		const r = await start();
		const name = `${r.clinic}/contacts`;
		const handle = await r.sync.open(name, JOB);
		await handle.transact((doc) => doc.getMap('m').set('a', 1));
		await handle.whenDurable();
		// A real failure underneath: the database is gone.
		await r.store.close();
		await handle.transact((doc) => doc.getMap('m').set('b', 2));
		await expect(handle.whenDurable()).rejects.toThrow(/storing .* failed/);
		await expect(handle.transact((doc) => doc.getMap('m').set('c', 3))).rejects.toThrow(/closed/);
		handle.release();
	});

	it('keeps the doc loaded while held and unloads it after release', async () => {
		const r = await start();
		const name = `${r.clinic}/contacts`;
		const handle = await r.sync.open(name, JOB);
		await handle.transact((doc) => doc.getMap('m').set('a', 1));
		await handle.whenDurable();
		expect(r.sync.stats.docs).toBe(1);
		handle.release();
		await withTimeout(
			(async () => {
				while (r.sync.stats.docs > 0) await new Promise((resolve) => setImmediate(resolve));
			})(),
			5000,
			'unloaded'
		);
		await expect(handle.transact(() => {})).rejects.toThrow(/released/);
	});
});

describe('SYNC-HOOK-1: features see every durable update with who wrote it, and can make sockets read-only', () => {
	it('onLoaded and onCommitted run with structured origins; mayWrite=false refuses a write with 4405', async () => {
		const loaded: string[] = [];
		const committed: CommittedUpdate[] = [];
		let onCommit = () => {};
		const r = await start([
			{
				onLoaded: ({ docName }) => loaded.push(docName),
				onCommitted: (c) => {
					committed.push(c);
					onCommit();
				},
				mayWrite: (identity) => !identity.docName.endsWith('/frozen')
			}
		]);
		const name = `${r.clinic}/thread/t1`;
		const device = connectProvider(r.wsUrl, name, { cookie: r.cookie, origin: r.origin });
		await whenSynced(device);
		const deviceWriteStored = new Promise<void>((resolve) => {
			onCommit = () => committed.some((c) => c.origin.source === 'connection') && resolve();
		});
		device.doc.getMap('m').set('from', 'device');
		await withTimeout(deviceWriteStored, 5000, 'device write committed');
		await r.sync.write(name, JOB, (doc) => doc.getMap('m').set('from-server', true));
		await withTimeout(
			whenDoc(device.doc, (d) => d.getMap('m').get('from-server') === true),
			5000,
			'server write relayed'
		);
		expect(loaded).toEqual([name]);
		const origins = committed.map((c) => c.origin);
		expect(origins).toContainEqual({ source: 'connection', userId: r.userId, sessionId: r.sessionId });
		expect(origins).toContainEqual(JOB);
		for (const c of committed) {
			const copy = new Y.Doc();
			Y.applyUpdate(copy, c.update);
			expect(copy.store.pendingStructs).toBeNull();
		}

		const frozen = await RawPeer.open(r.wsUrl, `${r.clinic}/thread/frozen`, r.cookie, r.origin);
		const edit = new Y.Doc();
		edit.getMap('m').set('x', 1);
		frozen.sendUpdate(Y.encodeStateAsUpdate(edit));
		expect(await withTimeout(frozen.closed, 5000, 'refused')).toBe(4405);
		device.destroy();
	});
});

describe('SYNC-PROTO-2: updates received between two commits are committed together and relayed as one message', () => {
	it('two updates arriving in one read are one commit and one message to another socket', async () => {
		const r = await start();
		const name = `${r.clinic}/thread/batch`;
		const observer = await RawPeer.open(r.wsUrl, name, r.cookie, r.origin);
		observer.sendStep1();
		const writer = await RawPeer.open(r.wsUrl, name, r.cookie, r.origin);
		const messages: number[] = [];
		observer.ws.on('message', (data: Buffer) => {
			if (data[0] === 0 && data[1] === 2) messages.push(data.length);
		});
		const a = new Y.Doc();
		a.getMap('m').set('one', 1);
		const first = Y.encodeStateAsUpdate(a);
		const sv = Y.encodeStateVector(a);
		a.getMap('m').set('two', 2);
		const second = Y.encodeStateAsUpdate(a, sv);
		const commitsBefore = r.sync.stats.commits;
		// Both frames in one TCP write: the server reads them in one turn of its event loop.
		const socket = (writer.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
		socket.cork();
		writer.sendUpdate(first);
		writer.sendUpdate(second);
		socket.uncork();
		await withTimeout(
			observer.until(() => observer.doc.getMap('m').get('two') === 2),
			5000,
			'both relayed'
		);
		expect(observer.doc.getMap('m').get('one')).toBe(1);
		expect(messages).toHaveLength(1);
		expect(r.sync.stats.commits - commitsBefore).toBe(1);
		observer.close();
		writer.close();
	});
});

describe('SYNC-STORE-6: every stored update names its writer, in the same transaction', () => {
	it('after a device and a server job write, the writer rows name them (ids only)', async () => {
		let deviceWriteStored = () => {};
		const stored = new Promise<void>((resolve) => (deviceWriteStored = resolve));
		const r = await start([{ onCommitted: ({ origin }) => origin.source === 'connection' && deviceWriteStored() }]);
		const name = `${r.clinic}/thread/writers`;
		const device = connectProvider(r.wsUrl, name, { cookie: r.cookie, origin: r.origin });
		await whenSynced(device);
		device.doc.getMap('m').set('from', 'device');
		await withTimeout(stored, 5000, 'device write committed');
		await r.sync.write(name, JOB, (doc) => doc.getMap('m').set('from-server', true));
		await withTimeout(
			whenDoc(device.doc, (d) => d.getMap('m').get('from-server') === true),
			5000,
			'server write relayed'
		);
		const writers = await r.store.docs.writers(name);
		const records = await r.store.docs.load(name);
		// Every record names who wrote it (one row per writer), and nothing else.
		expect([...new Set(writers.map((w) => w.seq))]).toEqual(records.map((rec) => rec.seq));
		expect(writers.map(({ source, userId, sessionId }) => ({ source, userId, sessionId }))).toEqual(
			expect.arrayContaining([
				{ source: 'connection', userId: r.userId, sessionId: r.sessionId },
				{ source: 'job', userId: null, sessionId: null }
			])
		);
		device.destroy();
	});

	it('two devices whose updates are applied as one transaction are both named on the one record', async () => {
		const batches: { coWriters: readonly TransactionOrigin[] }[] = [];
		const r = await start([{ onCommitted: ({ coWriters }) => void (coWriters && batches.push({ coWriters })) }]);
		const name = `${r.clinic}/thread/together`;
		const a = await RawPeer.open(r.wsUrl, name, r.cookie, r.origin);
		const b = await RawPeer.open(r.wsUrl, name, r.second.cookie, r.origin);
		const docA = new Y.Doc();
		const docB = new Y.Doc();
		// Sent in the same tick, the two updates usually share a turn of the server; try until they do.
		for (let i = 0; i < 50 && batches.length === 0; i++) {
			const before = (await r.store.docs.load(name)).length;
			const updates: Uint8Array[] = [];
			docA.once('update', (u: Uint8Array) => updates.push(u));
			docA.getMap('m').set(`a${i}`, i);
			docB.once('update', (u: Uint8Array) => updates.push(u));
			docB.getMap('m').set(`b${i}`, i);
			a.sendUpdate(updates[0]);
			b.sendUpdate(updates[1]);
			await withTimeout(
				(async () => {
					while ((await r.store.docs.load(name)).length === before) await new Promise((res) => setImmediate(res));
				})(),
				5000,
				'stored'
			);
		}
		expect(batches.length).toBeGreaterThan(0);
		const writers = await r.store.docs.writers(name);
		const perRecord = new Map<number, number>();
		for (const w of writers) perRecord.set(w.seq, (perRecord.get(w.seq) ?? 0) + 1);
		expect([...perRecord.values()]).toContain(2);
		expect(new Set(writers.map((w) => w.sessionId))).toEqual(new Set([r.sessionId, r.second.sessionId]));
		a.close();
		b.close();
	});
});
