import fs from 'node:fs';
import path from 'node:path';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { startClinicServer } from '../helpers/clinic.ts';
import { metric, ServerProcess, type ServerEnv } from '../helpers/server.ts';
import { connectProvider, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import { RawPeer } from '../helpers/rawPeer.ts';
import { SyncStep } from '../../src/lib/domain/syncProtocol.ts';

const running: ServerProcess[] = [];
afterEach(async () => {
	await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
});

async function setup(extra: Record<string, string> = {}) {
	const started = await startClinicServer('practitioner', extra);
	running.push(started.server);
	return started;
}

async function restart(env: ServerEnv, port: number): Promise<ServerProcess> {
	const server = await ServerProcess.start(env, port);
	running.push(server);
	return server;
}

/** Every file of the data folder, SQLite's WAL and shared-memory files included. */
function dataFolderBytes(dir: string): Buffer {
	return Buffer.concat(fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f))));
}

describe('SYNC-STORE-1: what is stored is encrypted', () => {
	it('a patient name written through sync leaves no byte of it in the data folder (db, -wal)', async () => {
		const { env, clinic, server, cookie } = await setup();
		const name = 'Zeynep Kılıçarslan-Öztürk';
		const provider = connectProvider(server.wsUrl, `${clinic}/contacts`, { cookie, origin: server.url });
		await whenSynced(provider);
		provider.doc.getMap('contacts').set('c1', { name, phone: '+905321234567' });
		const observer = connectProvider(server.wsUrl, `${clinic}/contacts`, { cookie, origin: server.url });
		await withTimeout(
			whenDoc(observer.doc, (d) => (d.getMap('contacts').get('c1') as { name?: string })?.name === name),
			5000,
			'relayed'
		);
		provider.destroy();
		observer.destroy();

		const files = fs.readdirSync(env.DATA_DIR);
		expect(files).toContain('frontdesk.db-wal');
		const bytes = dataFolderBytes(env.DATA_DIR);
		for (const needle of [name, 'Kılıçarslan', 'Zeynep', '+905321234567', '5321234567']) {
			expect(bytes.includes(Buffer.from(needle, 'utf8')), needle).toBe(false);
			expect(bytes.includes(Buffer.from(needle, 'utf16le')), `${needle} (utf16)`).toBe(false);
		}
		// …and it is there, readable to the server, after a restart.
		await server.stop();
		const again = await restart(env, 0);
		const reader = connectProvider(again.wsUrl, `${clinic}/contacts`, { cookie, origin: again.url });
		await withTimeout(
			whenDoc(reader.doc, (d) => (d.getMap('contacts').get('c1') as { name?: string })?.name === name),
			5000,
			'persisted'
		);
		reader.destroy();
	});

	it('a tampered record fails loudly: the doc is not served, nothing else is returned in its place', async () => {
		const { env, clinic, server, cookie } = await setup();
		const name = `${clinic}/contacts`;
		const writer = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		await whenSynced(writer);
		writer.doc.getMap('contacts').set('c1', { name: 'Ayşe' });
		const reader = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		await withTimeout(
			whenDoc(reader.doc, (d) => d.getMap('contacts').has('c1')),
			5000,
			'stored'
		);
		writer.destroy();
		reader.destroy();
		await server.stop();

		const Database = (await import('better-sqlite3')).default;
		const db = new Database(path.join(env.DATA_DIR, 'frontdesk.db'));
		const row = db.prepare('SELECT seq, data FROM doc_records WHERE doc_name = ?').get(name) as { seq: number; data: Buffer };
		row.data[row.data.length - 20] ^= 0x01;
		db.prepare('UPDATE doc_records SET data = ? WHERE doc_name = ? AND seq = ?').run(row.data, name, row.seq);
		db.close();

		const again = await restart(env, 0);
		const victim = connectProvider(again.wsUrl, name, { cookie, origin: again.url });
		const closed = await withTimeout(
			new Promise<{ code: number }>((resolve) => victim.on('connection-close', (e) => e && resolve(e))),
			5000,
			'closed'
		);
		expect(closed.code).toBe(1011);
		expect(victim.doc.getMap('contacts').size).toBe(0);
		await withTimeout(
			again.logged((line) => line.includes('loading doc failed') && line.includes('failed authentication')),
			5000,
			'failure logged'
		);
		victim.destroy();
		// Other docs of the clinic are unaffected.
		const other = connectProvider(again.wsUrl, `${clinic}/inbox`, { cookie, origin: again.url });
		await withTimeout(whenSynced(other), 5000, 'other doc');
		other.destroy();
	});

	it('the server refuses to start with another master key, and names the cause', async () => {
		const { env, server } = await setup();
		await server.stop();
		const wrong = { ...env, APP_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
		await expect(ServerProcess.start(wrong)).rejects.toThrow(/master key does not match/);
	});
});

describe('SYNC-STORE-2: an update is durable before it is relayed', () => {
	it('after SIGKILL during a stream of edits, every edit a client saw relayed is still there', async () => {
		const { env, clinic, server, cookie } = await setup();
		const name = `${clinic}/thread/stream`;
		const writer = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		const watcher = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		await Promise.all([whenSynced(writer), whenSynced(watcher)]);
		const seen = watcher.doc.getArray<number>('edits');

		let n = 0;
		const stream = setInterval(() => writer.doc.getArray<number>('edits').push([n++]), 2);
		await withTimeout(
			whenDoc(watcher.doc, () => seen.length >= 200),
			20_000,
			'stream flowing'
		);
		await server.stop('SIGKILL');
		clearInterval(stream);
		const relayed = seen.toArray();
		writer.destroy();
		watcher.destroy();
		expect(relayed.length).toBeGreaterThanOrEqual(200);

		const again = await restart(env, 0);
		const reader = connectProvider(again.wsUrl, name, { cookie, origin: again.url });
		await whenSynced(reader);
		const stored = new Set(reader.doc.getArray<number>('edits').toArray());
		const missing = relayed.filter((v) => !stored.has(v));
		expect(missing).toEqual([]);
		reader.destroy();
	});

	it('a client that edited while the server was down converges after the restart', async () => {
		const { env, clinic, server, cookie } = await setup();
		const name = `${clinic}/schedule/2026-12`;
		const a = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		const b = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		await Promise.all([whenSynced(a), whenSynced(b)]);
		a.doc.getMap('appointments').set('before', 'both see this');
		await withTimeout(
			whenDoc(b.doc, (d) => d.getMap('appointments').has('before')),
			5000,
			'before'
		);

		const port = server.port;
		await server.stop('SIGKILL');
		a.doc.getMap('appointments').set('offline-a', 'written while down');
		b.doc.getMap('appointments').set('offline-b', 'also written while down');

		await restart(env, port);
		await withTimeout(
			Promise.all([
				whenDoc(b.doc, (d) => d.getMap('appointments').has('offline-a')),
				whenDoc(a.doc, (d) => d.getMap('appointments').has('offline-b'))
			]),
			15_000,
			'converged after restart'
		);
		expect(a.doc.getMap('appointments').toJSON()).toEqual(b.doc.getMap('appointments').toJSON());
		a.destroy();
		b.destroy();
	});
});

describe('SYNC-STORE-3: an idle doc is compacted into a snapshot and unloaded; it reloads identical', () => {
	it('compacts the update log when the last client leaves', async () => {
		const { env, clinic, server, cookie } = await setup({ COMPACT_AFTER_UPDATES: '1000000' });
		const name = `${clinic}/contacts`;
		const a = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		await whenSynced(a);
		for (let i = 0; i < 30; i++) a.doc.getMap('rooms').set(`r${i}`, { label: `Room ${i}` });
		const b = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		await withTimeout(
			whenDoc(b.doc, (d) => d.getMap('rooms').size === 30),
			5000,
			'all relayed'
		);
		const expected = Y.encodeStateAsUpdate(a.doc);
		a.destroy();
		b.destroy();

		// /metrics reports loaded docs: wait until the room is unloaded.
		await withTimeout(
			(async () => {
				for (;;) {
					if ((await metric(server, 'frontdesk_sync_docs_loaded')) === 0) return;
					await new Promise((r) => setImmediate(r));
				}
			})(),
			5000,
			'doc unloaded'
		);
		await server.stop();
		const Database = (await import('better-sqlite3')).default;
		const db = new Database(path.join(env.DATA_DIR, 'frontdesk.db'), { readonly: true });
		const rows = db.prepare('SELECT kind FROM doc_records WHERE doc_name = ?').all(name) as { kind: string }[];
		db.close();
		expect(rows).toEqual([{ kind: 'snapshot' }]);

		const again = await restart(env, 0);
		const c = connectProvider(again.wsUrl, name, { cookie, origin: again.url });
		await whenSynced(c);
		const reloaded = new Y.Doc();
		Y.applyUpdate(reloaded, expected);
		expect(c.doc.getMap('rooms').toJSON()).toEqual(reloaded.getMap('rooms').toJSON());
		c.destroy();
	});
});

describe('SYNC-ANSWER-1: a step 1 is answered after the updates its socket sent before it are stored', () => {
	it('the step 2 answering a step 1 sent right after a deletion holds that deletion', async () => {
		const s = await startClinicServer('reception');
		running.push(s.server);
		const docName = `${s.clinic}/schedule/2026-05`;
		const peer = await RawPeer.open(s.server.wsUrl, docName, s.cookie, s.server.url);
		const writer = new Y.Doc();
		writer.getText('t').insert(0, 'merhaba');
		peer.sendUpdate(Y.encodeStateAsUpdate(writer));
		await withTimeout(
			peer.until(() => peer.doc.getText('t').toString() === 'merhaba'),
			5000,
			'the text is stored and echoed'
		);
		const before = Y.encodeStateVector(writer);
		writer.getText('t').delete(0, 3);
		// A deletion moves no clock: only a delete set can confirm it, and the device asks for one at once.
		const asked = peer.syncMessages.length;
		peer.together(() => {
			peer.sendUpdate(Y.encodeStateAsUpdate(writer, before));
			peer.sendStep1(Y.encodeStateVector(writer));
		});
		await withTimeout(
			peer.until(() => peer.syncMessages.slice(asked).some((m) => m.step === SyncStep.step2)),
			5000,
			'the answer'
		);
		const answer = peer.syncMessages.slice(asked).find((m) => m.step === SyncStep.step2)!;
		const ranges = Y.decodeUpdate(answer.payload).ds.clients.get(writer.clientID) ?? [];
		expect(ranges.reduce((n, r) => n + r.len, 0)).toBe(3);
		peer.close();
	});
});
