import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { ROOT, startServer, type ServerChild } from '../sync-relay/servers/child.ts';
import { percentile, runLoad, type LoadResult } from './load.ts';

/**
 * Webhook ingest: signed WhatsApp message events per second that our server answers 200 once durable (each a
 * new message in a contact's thread: contacts, inbox and thread docs written and fsynced through the group
 * commit), and their p99 latency, beside a bare Node HTTP server answering 200 without work, in the same run and
 * under the same load. Goal: at least half the bare rate. Both servers are child processes; the load comes from
 * this one, so on a small machine all three share the cores (say so with the figures).
 */
const SECRET = 'bench-app-secret';
const PHONE_NUMBER_ID = '106540352242922';
const SENDERS = Number(process.env.BENCH_WEBHOOK_SENDERS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_WEBHOOK_CONCURRENCY ?? 32);
const DURATION_MS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? 10) * 1000;
const WARMUP_MS = 2000;
/** Set to a folder to write a CPU profile of our server (node --cpu-prof) for bench/tools/cpuprofile-top.ts. */
const PROFILE_DIR = process.env.BENCH_WEBHOOK_PROFILE_DIR;

const run = randomBytes(4).toString('hex');

/** The i-th event: a text from one of SENDERS patients, escaped as Meta escapes non-ASCII, signed. */
function event(i: number): { body: Buffer; headers: Record<string, string> } {
	const waId = String(905320000000 + (i % SENDERS));
	const payload = {
		object: 'whatsapp_business_account',
		entry: [
			{
				id: '102290129340398',
				changes: [
					{
						field: 'messages',
						value: {
							messaging_product: 'whatsapp',
							metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
							contacts: [{ profile: { name: `Hasta ${i % SENDERS}` }, wa_id: waId }],
							messages: [
								{
									from: waId,
									id: `wamid.bench.${run}.${i}`,
									timestamp: String(Math.floor(Date.now() / 1000)),
									type: 'text',
									text: { body: `Merhaba, yarın saat ${10 + (i % 8)}:00 için randevu alabilir miyim? (${i})` }
								}
							]
						}
					}
				]
			}
		]
	};
	const raw = JSON.stringify(payload).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
	const body = Buffer.from(raw);
	return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(body, SECRET) } };
}

function admin(env: Record<string, string>, args: string[], stdin = ''): Promise<Record<string, unknown>> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/admin.ts', ...args], {
			cwd: ROOT,
			env: { ...process.env, ...env },
			stdio: ['pipe', 'pipe', 'inherit']
		});
		let out = '';
		child.stdout.on('data', (c: Buffer) => (out += c.toString()));
		child.on('exit', (code) =>
			code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`admin ${args[0]} failed`))
		);
		child.stdin.end(stdin);
	});
}

async function measure(name: string, server: ServerChild, path: string): Promise<LoadResult & { name: string }> {
	try {
		const result = await runLoad({
			port: server.port,
			path,
			concurrency: CONCURRENCY,
			warmupMs: WARMUP_MS,
			durationMs: DURATION_MS,
			request: event
		});
		return { name, ...result };
	} finally {
		await server.stop();
	}
}

export async function runWebhookIngest(): Promise<void> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'frontdesk-bench-webhook-'));
	const env = {
		DATA_DIR: dataDir,
		APP_MASTER_KEY: randomBytes(32).toString('base64'),
		DEMO_CLINIC: 'false',
		LOG_LEVEL: 'warn',
		META_APP_SECRET: SECRET,
		META_GRAPH_URL: 'http://127.0.0.1:9'
	};
	try {
		const clinic = await admin(env, ['create-clinic', '--name', 'Bench clinic']);
		await admin(
			env,
			['connect-whatsapp', '--clinic', String(clinic.id), '--phone-number-id', PHONE_NUMBER_ID],
			'EAAG-bench-token-0123456789abcdef'
		);
		const bare = await measure(
			'bare node http (200, no work)',
			await startServer('bench/webhook-ingest/bareMain.ts', { env: {}, readyPath: '/healthz' }),
			'/webhooks/meta'
		);
		const ours = await measure(
			'frontdesk POST /webhooks/meta',
			await startServer('server/main.ts', {
				env,
				readyPath: '/healthz',
				...(PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] } : {})
			}),
			'/webhooks/meta'
		);
		const rows = [bare, ours].map((r) => ({
			server: r.name,
			'events/s': Math.round(r.requests / r.seconds),
			'p50 ms': percentile(r.latencies, 50).toFixed(2),
			'p99 ms': percentile(r.latencies, 99).toFixed(2),
			errors: r.errors
		}));
		console.log(
			`${SENDERS} senders, ${CONCURRENCY} requests in flight, ${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up, ${os.cpus().length} cores`
		);
		console.table(rows);
		const ratio = ours.requests / Math.max(1, bare.requests);
		console.log(
			`frontdesk / bare: ${(ratio * 100).toFixed(0)}% (goal ≥ 50%)${ours.errors > 0 ? `; ${ours.errors} non-200 answers` : ''}`
		);
	} finally {
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
}
