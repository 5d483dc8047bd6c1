import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType } from '../../src/lib/domain/syncProtocol.ts';
import { DocConnection } from '../../src/lib/sync/DocConnection.ts';
import { startClinicServer, type ClinicServer } from '../helpers/clinic.ts';
import { browserLikeWebSocket, connectProvider, login, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import { RawPeer, rssMiB } from '../helpers/rawPeer.ts';
import { createUser, limitHits } from '../helpers/server.ts';

// Rules SYNC-BAD-*, SYNC-AWARE-*, SYNC-LIMIT-*, SYNC-ROLE-*, SYNC-QUOTA-* and SYNC-SPLIT-2 of docs/spec/sync.md,
// each tried as an attacker would, through the real server process.
const POISON = Buffer.from('01020200c40101010202585943010501770189010103000105010701', 'hex');

let main: ClinicServer;
let receptionCookie: string;
let practitionerCookie: string;

beforeAll(async () => {
	main = await startClinicServer('admin', {
		SYNC_MAX_BUFFERED_BYTES: String(256 * 1024),
		SYNC_MAX_SOCKETS_PER_SESSION: '40',
		SYNC_PING_INTERVAL_MS: '300'
	});
	const reception = await createUser(main.env, main.clinic, 'reception');
	const practitioner = await createUser(main.env, main.clinic, 'practitioner');
	receptionCookie = await login(main.server.url, reception.email, reception.password);
	practitionerCookie = await login(main.server.url, practitioner.email, practitioner.password);
});

afterAll(async () => {
	await main?.server.stop();
});

const docOf = (key: string) => `${main.clinic}/thread/${key}`;
const provider = (name: string, cookie = main.cookie, doc?: Y.Doc) =>
	connectProvider(main.server.wsUrl, name, { cookie, origin: main.server.url, doc });
const peer = (name: string, cookie = receptionCookie, options?: ConstructorParameters<typeof RawPeer>[2]) =>
	RawPeer.open(main.server.wsUrl, name, cookie, main.server.url, options);
/** Close codes the server sent a stock provider (none is the expectation for an innocent one). */
const closesOf = (p: ReturnType<typeof provider>) => {
	const codes: number[] = [];
	p.on('connection-close', (event) => codes.push(event?.code ?? 0));
	return codes;
};

describe('SYNC-BAD-1: an update that fails to apply closes only its sender (4400) and leaves no trace', () => {
	it('the known poison update, sent at the same moment as an innocent edit, ten times', async () => {
		const name = docOf('poison');
		const doc = new Y.Doc();
		doc.clientID = 1; // the poison's structs point into client 1's "hello"
		const innocent = provider(name, main.cookie, doc);
		const innocentCloses = closesOf(innocent);
		await whenSynced(innocent);
		doc.getText('t').insert(0, 'hello');
		const observer = provider(name, practitionerCookie);
		await withTimeout(
			whenDoc(observer.doc, (d) => d.getText('t').toString() === 'hello'),
			5000,
			'hello stored'
		);
		for (let round = 0; round < 10; round++) {
			const attacker = await peer(name);
			attacker.sendUpdate(POISON);
			doc.getText('t').insert(doc.getText('t').length, ` ${round}`);
			expect(await withTimeout(attacker.closed, 5000, 'attacker closed')).toBe(4400);
		}
		const expected = doc.getText('t').toString();
		await withTimeout(
			whenDoc(observer.doc, (d) => d.getText('t').toString() === expected),
			5000,
			'innocent edits relayed'
		);
		expect(expected).toBe('hello 0 1 2 3 4 5 6 7 8 9');
		expect(innocentCloses).toEqual([]);
		expect(innocent.wsconnected).toBe(true);
		// A fresh reader gets exactly the innocent text: nothing of the poison was stored.
		const fresh = provider(name, practitionerCookie);
		await whenSynced(fresh);
		expect(fresh.doc.getText('t').toString()).toBe(expected);
		expect(Y.encodeStateVector(fresh.doc)).toEqual(Y.encodeStateVector(doc));
		for (const p of [innocent, observer, fresh]) p.destroy();
	});
});

describe('SYNC-BAD-2: an update whose dependencies are missing is held for its sender, never served or acknowledged', () => {
	it('stays out of the doc, step 2 and the echo until what it depends on arrives on the same socket', async () => {
		const name = docOf('pending');
		const innocent = provider(name);
		await whenSynced(innocent);
		const source = new Y.Doc();
		source.clientID = 77;
		source.getText('t').insert(0, 'abc');
		const first = Y.encodeStateAsUpdate(source);
		const before = Y.encodeStateVector(source);
		source.getText('t').insert(3, 'def');
		const second = Y.encodeStateAsUpdate(source, before);

		const writer = await peer(name);
		writer.sendStep1();
		writer.sendUpdate(second);
		innocent.doc.getMap('m').set('marker', 1);
		const observer = await peer(name, practitionerCookie);
		observer.sendStep1(new Uint8Array([0]));
		await withTimeout(
			observer.until(() => observer.doc.getMap('m').get('marker') === 1),
			5000,
			'observer synced'
		);
		await withTimeout(
			writer.until(() => writer.doc.getMap('m').get('marker') === 1),
			5000,
			'writer got the marker'
		);
		expect(Y.getState(observer.doc.store, 77)).toBe(0);
		expect(Y.getState(writer.doc.store, 77)).toBe(0); // not echoed: the writer may not count it as stored
		expect(Y.getState(innocent.doc.store, 77)).toBe(0);

		writer.sendUpdate(first);
		await withTimeout(
			observer.until(() => observer.doc.getText('t').toString() === 'abcdef'),
			5000,
			'held update released'
		);
		await withTimeout(
			writer.until(() => Y.getState(writer.doc.store, 77) === 6),
			5000,
			'echo covers both'
		);
		writer.close();
		observer.close();
		innocent.destroy();
	});

	it('is dropped with its socket: a later reader never sees it', async () => {
		const name = docOf('pending-dropped');
		const source = new Y.Doc();
		source.clientID = 88;
		source.getText('t').insert(0, 'abc');
		const before = Y.encodeStateVector(source);
		source.getText('t').insert(3, 'zzz');
		const writer = await peer(name);
		writer.sendUpdate(Y.encodeStateAsUpdate(source, before));
		const innocent = provider(name);
		await whenSynced(innocent);
		innocent.doc.getMap('m').set('after', true);
		await withTimeout(
			writer.until(() => writer.doc.getMap('m').get('after') === true),
			5000,
			'the held update was looked at'
		);
		writer.close();
		await writer.closed;
		const reader = provider(name, practitionerCookie);
		await withTimeout(
			whenDoc(reader.doc, (d) => d.getMap('m').get('after') === true),
			5000,
			'reader synced'
		);
		expect(Y.getState(reader.doc.store, 88)).toBe(0);
		expect(reader.doc.store.pendingStructs).toBeNull();
		reader.destroy();
		innocent.destroy();
	});
});

describe('SYNC-AWARE-1: a socket changes only the presences it introduced, a few, each bounded; they leave with it', () => {
	it("cannot overwrite the admin's presence, add ghosts, or send an oversized state", async () => {
		const name = docOf('presence');
		const admin = provider(name);
		admin.awareness.setLocalState({ user: 'admin' });
		await whenSynced(admin);
		const observer = await peer(name, practitionerCookie);
		const adminId = admin.awareness.clientID;
		await withTimeout(
			observer.until(() => observer.presence.get(adminId) === JSON.stringify({ user: 'admin' })),
			5000,
			'observer sees the admin'
		);

		const attacker = await peer(name);
		attacker.sendAwareness([{ clientId: adminId, clock: 1000, state: { user: 'evil' } }]);
		attacker.sendAwareness([{ clientId: 990001, clock: 1, state: { user: 'reception' } }]);
		await withTimeout(
			observer.until(() => observer.presence.has(990001)),
			5000,
			'own presence relayed'
		);
		expect(observer.presence.get(adminId)).toBe(JSON.stringify({ user: 'admin' }));

		const ghosts = Array.from({ length: 5000 }, (_, i) => ({ clientId: 100 + i, clock: 1, state: { ghost: i } }));
		attacker.sendAwareness(ghosts);
		expect(await withTimeout(attacker.closed, 5000, 'ghost sender closed')).toBe(4429);
		// Its own presence leaves with it; no ghost was ever relayed.
		await withTimeout(
			observer.until(() => observer.presence.get(990001) === null),
			5000,
			'presence removed on close'
		);
		expect([...observer.presence.keys()].filter((id) => id >= 100 && id < 5100)).toEqual([]);

		const big = await peer(name);
		big.sendAwareness([{ clientId: 990002, clock: 1, state: { blob: 'x'.repeat(70 * 1024) } }]);
		expect(await withTimeout(big.closed, 5000, 'oversized presence closed')).toBe(1009);
		expect(observer.presence.has(990002)).toBe(false);
		expect(admin.wsconnected).toBe(true);
		observer.close();
		admin.destroy();
	});
});

describe('SYNC-PRESENCE-ORDER-1: a socket’s presence reaches the others after the changes it sent before it', () => {
	it('a caret sent right after each keystroke never arrives before the keystroke', async () => {
		const name = docOf('caret-order');
		const observer = await peer(name, practitionerCookie);
		const typist = await peer(name, main.cookie);
		const doc = new Y.Doc();
		const typistPresence = 990100;
		// What the observer holds of the text when each of the typist's carets arrives.
		const heldAtCaret: { typed: number; held: number }[] = [];
		observer.onPresence = (clientId, state) => {
			if (clientId !== typistPresence || state === null) return;
			heldAtCaret.push({ typed: (JSON.parse(state) as { typed: number }).typed, held: observer.doc.getText('t').length });
		};
		const KEYS = 20;
		for (let typed = 1; typed <= KEYS; typed++) {
			const before = Y.encodeStateVector(doc);
			doc.getText('t').insert(typed - 1, 'a');
			typist.sendUpdate(Y.encodeStateAsUpdate(doc, before));
			typist.sendAwareness([{ clientId: typistPresence, clock: typed, state: { typed } }]);
		}
		await withTimeout(
			observer.until(() => heldAtCaret.at(-1)?.typed === KEYS && observer.doc.getText('t').length === KEYS),
			5000,
			'every keystroke and the last caret relayed'
		);
		expect(heldAtCaret.filter(({ typed, held }) => held < typed)).toEqual([]);
		// A caret waiting behind a keystroke is replaced by a newer one of the same client, never reordered.
		const typed = heldAtCaret.map((c) => c.typed);
		expect(typed).toEqual([...typed].sort((a, b) => a - b));
		observer.close();
		typist.close();
	});
});

describe('SYNC-PRESENCE-OWN-1: a device sends only its own presence, never the colleagues’ it hears of', () => {
	it('a colleague’s caret moving five times makes the device send no presence of theirs', async () => {
		const name = docOf('presence-own');
		const sentPresence: number[][] = [];
		const Recording = browserLikeWebSocket(practitionerCookie, main.server.url);
		class RecordingSocket extends (Recording as unknown as typeof import('ws').WebSocket) {
			override send(data: Parameters<import('ws').WebSocket['send']>[0], ...rest: unknown[]): void {
				const bytes = new Uint8Array(data as ArrayBufferLike);
				if (bytes[0] === MessageType.awareness) sentPresence.push(awarenessClientIds(bytes));
				(super.send as (...args: unknown[]) => void)(data, ...rest);
			}
		}
		const doc = new Y.Doc();
		const connection = new DocConnection(name, doc, {
			url: `${main.server.wsUrl}/sync`,
			WebSocket: RecordingSocket as unknown as typeof globalThis.WebSocket,
			sessionStands: async () => true,
			onState: () => {},
			onServerStateVector: () => {}
		});
		connection.provider.awareness.setLocalState({ user: 'viewer' });
		const synced = new Promise<void>((resolve) => connection.provider.once('sync', () => resolve()));
		connection.start();
		await withTimeout(synced, 5000, 'viewer synced');
		const colleague = await peer(name, main.cookie);
		const colleagueId = 990200;
		for (let clock = 1; clock <= 5; clock++) colleague.sendAwareness([{ clientId: colleagueId, clock, state: { caret: clock } }]);
		await withTimeout(
			whenAwareness(
				connection,
				() => (connection.provider.awareness.getStates().get(colleagueId) as { caret?: number })?.caret === 5
			),
			5000,
			'the viewer sees the colleague’s last caret'
		);
		const own = connection.provider.awareness.clientID;
		expect(sentPresence.length).toBeGreaterThan(0);
		expect(sentPresence.flat().filter((id) => id !== own)).toEqual([]);
		colleague.close();
		connection.destroy();
	});
});

/** The client ids of an awareness message (type, length, count, then per entry: id, clock, state). */
function awarenessClientIds(message: Uint8Array): number[] {
	const outer = decoding.createDecoder(message);
	decoding.readVarUint(outer);
	const inner = decoding.createDecoder(decoding.readVarUint8Array(outer));
	const ids: number[] = [];
	for (let count = decoding.readVarUint(inner); count > 0; count--) {
		ids.push(decoding.readVarUint(inner));
		decoding.readVarUint(inner);
		decoding.readVarString(inner);
	}
	return ids;
}

function whenAwareness(connection: DocConnection, holds: () => boolean): Promise<void> {
	return new Promise((resolve) => {
		const check = () => {
			if (!holds()) return;
			connection.provider.awareness.off('change', check);
			resolve();
		};
		connection.provider.awareness.on('change', check);
		check();
	});
}

describe('SYNC-LIMIT-1: a socket that does not read is cut at the send-buffer cap; queries are rate-limited', () => {
	it('a paused reader asking for a large doc again and again is closed, and memory stays bounded', async () => {
		const name = docOf('big');
		const writer = provider(name);
		await whenSynced(writer);
		for (let i = 0; i < 3; i++) writer.doc.getText('t').insert(0, `${i}`.repeat(400 * 1024));
		const reader = provider(name, practitionerCookie);
		await withTimeout(
			whenDoc(reader.doc, (d) => d.getText('t').length === 3 * 400 * 1024),
			15_000,
			'large doc stored'
		);
		const rssBefore = await rssMiB(main.server.child.pid!);
		const hitsBefore = await limitHits(main.server, 'sync_max_buffered_bytes');
		const slow = await peer(name);
		(slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
		for (let i = 0; i < 10; i++) slow.sendStep1(new Uint8Array([0]));
		await withTimeout(
			(async () => {
				while ((await limitHits(main.server, 'sync_max_buffered_bytes')) === hitsBefore)
					await new Promise((r) => setTimeout(r, 50));
			})(),
			10_000,
			'buffer cap hit'
		);
		(slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
		expect([1013, 1006]).toContain(await withTimeout(slow.closed, 10_000, 'slow reader closed'));
		const rssAfter = await rssMiB(main.server.child.pid!);
		expect(rssAfter - rssBefore).toBeLessThan(150);
		expect(writer.wsconnected && reader.wsconnected).toBe(true);
		writer.destroy();
		reader.destroy();
	});

	it('a flood of sync step 1 or query-awareness closes the socket with 4429', async () => {
		const name = docOf('queries');
		for (const flood of ['step1', 'query'] as const) {
			const attacker = await peer(name);
			for (let i = 0; i < 100; i++) {
				if (flood === 'step1') attacker.sendStep1(new Uint8Array([0]));
				else attacker.sendQueryAwareness();
			}
			expect(await withTimeout(attacker.closed, 5000, `${flood} flood closed`)).toBe(4429);
		}
		expect(await limitHits(main.server, 'sync_queries_per_minute')).toBeGreaterThanOrEqual(2);
	});
});

describe('SYNC-LIMIT-2: one session holds a bounded number of sockets, per doc and in all', () => {
	it('the 17th socket on one doc and the 41st in all are closed with 4429', async () => {
		const staff = await createUser(main.env, main.clinic, 'practitioner');
		const cookie = await login(main.server.url, staff.email, staff.password);
		const onOneDoc = await Promise.all(Array.from({ length: 16 }, () => peer(docOf('caps'), cookie)));
		const extra = await peer(docOf('caps'), cookie);
		expect(await withTimeout(extra.closed, 5000, '17th closed')).toBe(4429);
		const others = await Promise.all(Array.from({ length: 24 }, (_, i) => peer(docOf(`caps-${i}`), cookie)));
		const beyond = await peer(docOf('caps-beyond'), cookie);
		expect(await withTimeout(beyond.closed, 5000, '41st closed')).toBe(4429);
		for (const p of [...onOneDoc, ...others]) expect(p.ws.readyState).toBe(p.ws.OPEN);
		for (const p of [...onOneDoc, ...others]) p.close();
		await Promise.all([...onOneDoc, ...others].map((p) => p.closed));
		const again = await peer(docOf('caps-beyond'), cookie);
		again.sendStep1();
		await withTimeout(
			again.until(() => true),
			5000,
			'a socket opens again once others closed'
		);
		expect(again.ws.readyState).toBe(again.ws.OPEN);
		again.close();
	});
});

describe('SYNC-LIMIT-3: ping/pong finds dead sockets', () => {
	it('a peer that never answers pings is cut; one that answers stays', async () => {
		const name = docOf('ping');
		const alive = await peer(name);
		const dead = await peer(name, receptionCookie, { autoPong: false });
		const code = await withTimeout(dead.closed, 5000, 'silent peer cut');
		expect(code).toBe(1006);
		expect(alive.ws.readyState).toBe(alive.ws.OPEN);
		alive.close();
	});
});

describe('SYNC-ROLE-1: each doc kind has read and write roles; a reader that writes is refused with 4405', () => {
	it('reception reads the directory but its writes are refused and never stored', async () => {
		const name = `${main.clinic}/directory`;
		const admin = provider(name);
		await whenSynced(admin);
		admin.doc.getMap('practitioners').set('p1', 'written by the admin');
		const reception = provider(name, receptionCookie);
		const receptionCloses = closesOf(reception);
		await withTimeout(
			whenDoc(reception.doc, (d) => d.getMap('practitioners').get('p1') === 'written by the admin'),
			5000,
			'reception reads'
		);
		expect(receptionCloses).toEqual([]); // its empty step 2 is not a write

		const attacker = await peer(name);
		const hostile = new Y.Doc();
		hostile.getMap('practitioners').set('p1', 'overwritten by reception');
		attacker.sendUpdate(Y.encodeStateAsUpdate(hostile));
		expect(await withTimeout(attacker.closed, 5000, 'write refused')).toBe(4405);
		admin.doc.getMap('practitioners').set('p2', 'later');
		const fresh = provider(name, practitionerCookie);
		await withTimeout(
			whenDoc(fresh.doc, (d) => d.getMap('practitioners').get('p2') === 'later'),
			5000,
			'fresh reader synced'
		);
		expect(fresh.doc.getMap('practitioners').get('p1')).toBe('written by the admin');
		for (const p of [admin, reception, fresh]) p.destroy();
	});

	it('a read-only device sends nothing: its local edit stays on the device and its socket stays open', async () => {
		const name = `${main.clinic}/directory`;
		const doc = new Y.Doc();
		const connection = new DocConnection(name, doc, {
			url: `${main.server.wsUrl}/sync`,
			WebSocket: browserLikeWebSocket(receptionCookie, main.server.url),
			sessionStands: async () => true,
			onState: () => {},
			onServerStateVector: () => {},
			readOnly: true
		});
		const synced = new Promise<void>((resolve) => connection.provider.once('sync', () => resolve()));
		connection.start();
		await withTimeout(synced, 5000, 'read-only device synced');
		doc.getMap('practitioners').set('p9', 'typed on a read-only device');
		const admin = provider(name);
		await whenSynced(admin);
		admin.doc.getMap('practitioners').set('p10', 'from the admin');
		await withTimeout(
			whenDoc(doc, (d) => d.getMap('practitioners').get('p10') === 'from the admin'),
			5000,
			'device still receives'
		);
		expect(connection.state).toBe('synced');
		expect(admin.doc.getMap('practitioners').has('p9')).toBe(false);
		connection.destroy();
		admin.destroy();
	});
});

describe('SYNC-SPLIT-2: a large offline change reaches a server whose message limit is below its size', () => {
	it('3 MB typed offline arrives through a 1 MiB limit', async () => {
		const small = await startClinicServer('admin', { SYNC_MAX_MESSAGE_BYTES: String(1024 * 1024) });
		try {
			const name = `${small.clinic}/thread/offline-import`;
			const doc = new Y.Doc();
			for (let i = 0; i < 300; i++) doc.getArray('messages').push([{ n: i, text: `${i}`.padEnd(10_000, '.') }]);
			const connection = new DocConnection(name, doc, {
				url: `${small.server.wsUrl}/sync`,
				WebSocket: browserLikeWebSocket(small.cookie, small.server.url),
				sessionStands: async () => true,
				onState: () => {},
				onServerStateVector: () => {}
			});
			connection.start();
			const reader = connectProvider(small.server.wsUrl, name, { cookie: small.cookie, origin: small.server.url });
			await withTimeout(
				whenDoc(reader.doc, (d) => d.getArray('messages').length === 300),
				20_000,
				'everything arrived'
			);
			expect(Y.encodeStateVector(reader.doc)).toEqual(Y.encodeStateVector(doc));
			connection.destroy();
			reader.destroy();
		} finally {
			await small.server.stop();
		}
	});
});

describe('SYNC-QUOTA-1: a clinic stores a bounded number of docs and bytes; past them writes are refused with 4507', () => {
	let quota: ClinicServer;
	afterAll(async () => {
		await quota?.server.stop();
	});

	it('refuses a new doc past CLINIC_MAX_DOCS and any write past CLINIC_MAX_STORED_BYTES, warns near them', async () => {
		quota = await startClinicServer('admin', {
			CLINIC_MAX_DOCS: '3',
			CLINIC_MAX_STORED_BYTES: String(1024 * 1024),
			SYNC_MAX_MESSAGE_BYTES: String(4 * 1024 * 1024)
		});
		const open = (key: string) =>
			connectProvider(quota.server.wsUrl, `${quota.clinic}/thread/${key}`, { cookie: quota.cookie, origin: quota.server.url });
		/** 'stored' once a fresh reader sees the value, or the close code the writer got instead. */
		const write = async (key: string, value: string) => {
			const writer = open(key);
			await whenSynced(writer);
			const refused = new Promise<number>((resolve) => writer.on('connection-close', (event) => resolve(event?.code ?? 0)));
			const field = `f${Math.random()}`;
			writer.doc.getMap('m').set(field, value);
			const reader = open(key);
			const stored = whenDoc(reader.doc, (d) => d.getMap('m').get(field) === value).then(() => 'stored' as const);
			const outcome = await withTimeout(Promise.race([stored, refused]), 10_000, `write to ${key}`);
			writer.destroy();
			reader.destroy();
			return outcome;
		};
		expect(await write('q1', 'a')).toBe('stored');
		expect(await write('q2', 'b')).toBe('stored');
		expect(await write('q3', 'c')).toBe('stored');
		expect(await write('q4', 'd')).toBe(4507);
		expect(await write('q1', 'still fine')).toBe('stored');
		expect(await write('q2', 'x'.repeat(1024 * 1024))).toBe('stored');
		expect(await write('q3', 'one more')).toBe(4507);
		await withTimeout(
			quota.server.logged((l) => l.includes('clinic is near its quota')),
			5000,
			'quota warning logged'
		);
		expect(await limitHits(quota.server, 'clinic_max_docs')).toBe(1);
		expect(await limitHits(quota.server, 'clinic_max_stored_bytes')).toBe(1);
	});
});
