import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { docNames } from '../../src/lib/domain/docName.ts';
import { appendInbound } from '../../src/lib/domain/thread.ts';
import { MuxTransport } from '../../src/lib/sync/MuxTransport.ts';
import { login, whenSynced } from '../../tests/helpers/client.ts';
import { createClinic, createUser, ServerProcess, testEnv } from '../../tests/helpers/server.ts';

/**
 * Sockets and bytes for one device of a clinic keeping 300 open/recent threads plus the inbox, contacts and
 * directory docs in sync: each doc on its own socket of `/sync/<doc>` (reference) and all docs over one socket of
 * `/sync` (ours), measured in the same run, for a first sync (empty device) and a return (the device has
 * everything, state vectors make the answers empty).
 */
const THREADS = Number(process.env.BENCH_DEVICE_THREADS ?? 300);
const MESSAGES = 20;

interface Counted {
	sockets: number;
	sent: number;
	received: number;
}

/** A `ws` class counting sockets and wire bytes (payloads; frame headers are the same few bytes either way). */
function countingSocket(cookie: string, origin: string, count: Counted): typeof globalThis.WebSocket {
	class Counting extends WebSocket {
		constructor(address: string | URL, protocols?: string | string[]) {
			super(address, protocols, { headers: { cookie, origin } });
			count.sockets++;
			this.on('message', (data: ArrayBuffer | Buffer) => (count.received += data.byteLength));
		}
		override send(data: Parameters<WebSocket['send']>[0], ...rest: unknown[]): void {
			count.sent += (data as Uint8Array).byteLength;
			(super.send as (...args: unknown[]) => void)(data, ...rest);
		}
	}
	return Counting as unknown as typeof globalThis.WebSocket;
}

async function syncAll(
	server: ServerProcess,
	names: string[],
	docs: Map<string, Y.Doc>,
	Socket: typeof globalThis.WebSocket
): Promise<number> {
	const t0 = performance.now();
	// Every y-websocket provider in Node adds a process 'exit' listener until destroyed: here one per doc, no leak.
	process.setMaxListeners(Math.max(process.getMaxListeners(), names.length + 11));
	const providers = names.map(
		(name) =>
			new WebsocketProvider(`${server.wsUrl}/sync`, name, docs.get(name)!, {
				WebSocketPolyfill: Socket,
				disableBc: true
			})
	);
	await Promise.all(providers.map(whenSynced));
	const ms = performance.now() - t0;
	for (const p of providers) p.destroy();
	return Math.round(ms);
}

export async function runDeviceSockets(): Promise<void> {
	const env = testEnv();
	const clinic = await createClinic(env, 'Bench Klinik');
	const user = await createUser(env, clinic, 'reception');
	const server = await ServerProcess.start(env);
	try {
		const cookie = await login(server.url, user.email, user.password);
		const threads = Array.from({ length: THREADS }, (_, i) => docNames.thread(clinic, `t${i}`));
		const names = [docNames.directory(clinic), docNames.inbox(clinic), docNames.contacts(clinic), ...threads];
		// Seed: every thread with a conversation, written through the server like any device.
		const seedDocs = new Map(threads.map((n) => [n, new Y.Doc()] as const));
		for (const [name, doc] of seedDocs) {
			doc.transact(() => {
				for (let m = 0; m < MESSAGES; m++)
					appendInbound(doc, {
						providerMessageId: `${name}-${m}`,
						at: new Date(Date.UTC(2026, 10, 20, 9, m)).toISOString(),
						channel: 'whatsapp',
						messageType: 'text',
						text: `Merhaba, ${m}. mesaj: yarın saat 10 uygun mu?`
					});
			});
		}
		await syncAll(server, threads, seedDocs, countingSocket(cookie, server.url, { sockets: 0, sent: 0, received: 0 }));
		// Each measured pass signs in anew: the sockets of the pass before may still be closing on the server, and
		// they count against their session's cap (SYNC-LIMIT-2).
		const session = () => login(server.url, user.email, user.password);

		const rows: Record<string, string | number>[] = [];
		for (const way of ['one socket per doc (reference)', 'one multiplexed socket (ours)'] as const) {
			const docs = new Map(names.map((n) => [n, new Y.Doc()] as const));
			for (const phase of ['first sync, empty device', 'return, device has everything'] as const) {
				const count: Counted = { sockets: 0, sent: 0, received: 0 };
				const Socket = countingSocket(await session(), server.url, count);
				let ms: number;
				if (way.startsWith('one socket')) ms = await syncAll(server, names, docs, Socket);
				else {
					const transport = new MuxTransport(server.wsUrl, Socket);
					ms = await syncAll(server, names, docs, transport.WebSocket);
					transport.close();
				}
				rows.push({
					way,
					phase,
					docs: names.length,
					sockets: count.sockets,
					'KiB sent': Math.round(count.sent / 1024),
					'KiB received': Math.round(count.received / 1024),
					'ms to all synced': ms
				});
			}
		}
		console.log(`a device with ${THREADS} threads (${MESSAGES} messages each), the inbox, contacts and directory docs`);
		console.table(rows);
		console.log('Bytes are websocket payloads; each socket of the reference also costs an HTTP upgrade (request with the');
		console.log('session cookie and response, about half a KiB), not counted above. Chromium opens at most 255 sockets per');
		console.log('profile: one socket per doc cannot hold 300 threads in a browser at all.');
	} finally {
		await server.stop();
	}
}
