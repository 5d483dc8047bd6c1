import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { processCpuMs } from '../sync-relay/procStats.ts';
import { ROOT, startServer, type ServerChild } from '../sync-relay/servers/child.ts';
import { percentile, runLoad, type LoadResult } from './load.ts';

/**
 * Webhook ingest: signed WhatsApp message events per second that our server answers 200 once durable (sealed in
 * the inbound journal and fsynced; each is then written into its contact's thread, the contacts and the inbox),
 * and their p99 latency, beside a bare Node HTTP server answering 200 without work, in the same run and under the
 * same load: measured before and after ours, and read against the mean of both. Goal: at least half the bare
 * rate. The servers are child processes; the load comes from this one, so on a small machine all share the cores
 * (say so with the figures). How many events reached the docs during the load, and how fast the rest did after a
 * restart, is printed too: the docs' own rate.
 *
 * The load is a clinic's day, faster: most events come from a set of returning patients (each already has a
 * contact and a thread), picked at random so a busy one may write twice in a batch, and a share from people who
 * never wrote before (a new contact and thread each). After the run our server is killed with SIGKILL and its
 * store must hold every message it answered 200 for.
 */
const SECRET = 'bench-app-secret';
const CLINICS = Number(process.env.BENCH_WEBHOOK_CLINICS ?? 1);
/** Returning patients per clinic: the first events introduce each of them once, during the warm-up. */
const SENDERS = Number(process.env.BENCH_WEBHOOK_SENDERS ?? 500);
/** The share of events (after the introductions) from someone who never wrote before. */
const NEW_SHARE = Number(process.env.BENCH_WEBHOOK_NEW_SHARE ?? 0.05);
const CONCURRENCY = Number(process.env.BENCH_WEBHOOK_CONCURRENCY ?? 32);
const DURATION_MS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? 10) * 1000;
const WARMUP_MS = 2000;
/** Set to a folder to write CPU profiles of our server (node --cpu-prof; the replay's in its `replay/`) for bench/tools/cpuprofile-top.ts. */
const PROFILE_DIR = process.env.BENCH_WEBHOOK_PROFILE_DIR;

const run = randomBytes(4).toString('hex');
const phoneNumberId = (clinic: number) => String(106540352242922 + clinic);

/** A number in [0, 1) fixed by the event's index and the salt (murmur3's finalizer): the same load for both servers. */
function unit(i: number, salt: number): number {
	let h = Math.imul(i + 1, 0x9e3779b1) ^ salt;
	h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
	h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
	return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** Who writes the i-th event: each returning patient once first, then mostly them, sometimes someone new. */
function senderOf(i: number): { clinic: number; waId: string; name: string } {
	const introductions = CLINICS * SENDERS;
	if (i < introductions) return returning(i % CLINICS, Math.floor(i / CLINICS));
	const clinic = Math.floor(unit(i, 1) * CLINICS);
	if (unit(i, 2) < NEW_SHARE) return { clinic, waId: String(447700000000 + i), name: `Yeni ${i}` };
	return returning(clinic, Math.floor(unit(i, 3) * SENDERS));
}

function returning(clinic: number, sender: number): { clinic: number; waId: string; name: string } {
	return { clinic, waId: String(905320000000 + clinic * 100_000 + sender), name: `Hasta ${clinic}-${sender}` };
}

/** The i-th event: a text from its sender, escaped as Meta escapes non-ASCII, signed. */
function event(i: number): { body: Buffer; headers: Record<string, string> } {
	const { clinic, waId, name } = senderOf(i);
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
							metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId(clinic) },
							contacts: [{ profile: { name }, wa_id: waId }],
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

interface Measured extends LoadResult {
	name: string;
	/** The server process's CPU time (all threads) per event answered 200, warm-up included. */
	cpuMsPerEvent: number;
	/** Group commits our server made during the whole load (from /metrics), for events per commit. */
	commits?: number;
	/** Messages of this run in the store after the SIGKILL: written into threads, and still in the journal. */
	stored?: { written: number; journaled: number };
}

async function measure(name: string, server: ServerChild, path: string, ours = false): Promise<Measured> {
	const pid = server.child.pid!;
	const cpuBefore = processCpuMs(pid);
	const load = await runLoad({
		port: server.port,
		path,
		concurrency: CONCURRENCY,
		warmupMs: WARMUP_MS,
		durationMs: DURATION_MS,
		request: event
	}).catch(async (error: unknown) => {
		await server.stop();
		throw error;
	});
	const result = { ...load, cpuMsPerEvent: (processCpuMs(pid) - cpuBefore) / Math.max(1, load.answered) };
	if (!ours) {
		await server.stop();
		return { name, ...result };
	}
	const commits = await syncCommits(server.port);
	// A profile is written on a clean exit only; otherwise the process dies as in a crash, and the store must
	// still hold every message answered 200.
	if (PROFILE_DIR) await server.stop();
	else await kill(server);
	return { name, ...result, commits };
}

/** Two runs as one: their requests and time added, latencies merged, CPU per event weighted by events. */
function mean(name: string, a: Measured, b: Measured): Measured {
	return {
		name,
		requests: a.requests + b.requests,
		errors: a.errors + b.errors,
		seconds: a.seconds + b.seconds,
		latencies: [...a.latencies, ...b.latencies].sort((x, y) => x - y),
		answered: a.answered + b.answered,
		cpuMsPerEvent: (a.cpuMsPerEvent * a.answered + b.cpuMsPerEvent * b.answered) / Math.max(1, a.answered + b.answered)
	};
}

async function metric(port: number, name: string): Promise<number> {
	const res = await fetch(`http://127.0.0.1:${port}/metrics`);
	const match = new RegExp(`^${name} (\\d+)`, 'm').exec(await res.text());
	return match ? Number(match[1]) : NaN;
}

const syncCommits = (port: number) => metric(port, 'frontdesk_sync_commits');

/**
 * Restarts our server on the store the SIGKILL left and times how long it takes to write every journaled event
 * into the docs (polling its backlog metric): the docs' own rate, with nothing else to do.
 */
async function replay(env: Record<string, string>, backlog: number): Promise<{ seconds: number; rate: number }> {
	const started = performance.now();
	const server = await startServer('server/main.ts', {
		env,
		readyPath: '/healthz',
		...(PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, 'replay')}`] } : {})
	});
	try {
		while ((await metric(server.port, 'frontdesk_inbound_backlog')) > 0) await new Promise((r) => setTimeout(r, 50));
		const seconds = (performance.now() - started) / 1000;
		return { seconds, rate: backlog / seconds };
	} finally {
		await server.stop();
	}
}

function kill(server: ServerChild): Promise<void> {
	return new Promise((resolve) => {
		if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
		server.child.once('exit', () => resolve());
		server.child.kill('SIGKILL');
	});
}

/** Messages of this run the store holds (read after the server is gone). */
function storedMessages(dataDir: string): { written: number; journaled: number } {
	const db = new Database(path.join(dataDir, 'frontdesk.db'));
	try {
		const count = (table: string) =>
			db
				.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM ${table} WHERE provider = 'whatsapp' AND message_id LIKE ?`)
				.get(`wamid.bench.${run}.%`)?.n ?? 0;
		return { written: count('channel_inbound'), journaled: count('inbound_journal') };
	} finally {
		db.close();
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
		for (let c = 0; c < CLINICS; c++) {
			const clinic = await admin(env, ['create-clinic', '--name', `Bench clinic ${c}`]);
			await admin(
				env,
				['connect-whatsapp', '--clinic', String(clinic.id), '--phone-number-id', phoneNumberId(c)],
				'EAAG-bench-token-0123456789abcdef'
			);
		}
		const measureBare = async (when: string) =>
			measure(
				`bare node http (200, no work), ${when}`,
				await startServer('bench/webhook-ingest/bareMain.ts', { env: {}, readyPath: '/healthz' }),
				'/webhooks/meta'
			);
		const bareBefore = await measureBare('before');
		const ours = await measure(
			'frontdesk POST /webhooks/meta',
			await startServer('server/main.ts', {
				env,
				readyPath: '/healthz',
				...(PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] } : {})
			}),
			'/webhooks/meta',
			true
		);
		ours.stored = storedMessages(dataDir);
		// Measured again once ours is gone: this machine's speed drifts by a third within minutes, and the mean of
		// both sides of our run is the fairer reference.
		const bareAfter = await measureBare('after');
		const bare = mean('bare node http, mean of before and after', bareBefore, bareAfter);
		const rate = (r: Measured) => Math.round(r.requests / r.seconds);
		const p99 = (r: Measured) => percentile(r.latencies, 99).toFixed(2);
		const rows = [bareBefore, bareAfter, bare, ours].map((r) => ({
			server: r.name,
			'events/s': rate(r),
			'p50 ms': percentile(r.latencies, 50).toFixed(2),
			'p99 ms': p99(r),
			'CPU ms/event': r.cpuMsPerEvent.toFixed(3),
			errors: r.errors
		}));
		console.log(
			`${CLINICS} clinic(s), ${SENDERS} returning patients each (${(NEW_SHARE * 100).toFixed(0)}% of events from new ones), ` +
				`${CONCURRENCY} requests in flight, ${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up, ${os.cpus().length} cores`
		);
		console.table(rows);
		const ratio = rate(ours) / Math.max(1, rate(bare));
		console.log(
			`ours ${rate(ours)} events/s (p99 ${p99(ours)} ms), bare ${rate(bare)} events/s (p99 ${p99(bare)} ms): ` +
				`${(ratio * 100).toFixed(0)}% of bare (goal ≥ 50%)${ours.errors > 0 ? `; ${ours.errors} non-200 answers` : ''}`
		);
		console.log(
			`ours: ${ours.answered} answered 200 in all, ${ours.commits} group commits (${(ours.answered / (ours.commits ?? NaN)).toFixed(1)} events each); ` +
				`${PROFILE_DIR ? 'after a clean stop' : 'after SIGKILL'} the store holds ${ours.stored!.written + ours.stored!.journaled} of them`
		);
		const { written, journaled } = ours.stored!;
		if (written + journaled < ours.answered)
			throw new Error(`only ${written + journaled} of ${ours.answered} messages answered 200 were stored`);
		const replayed = await replay(env, journaled);
		const after = storedMessages(dataDir);
		console.log(
			`docs: ${written} of them were written into threads during the load; after a restart the other ${journaled} were ` +
				`written in ${replayed.seconds.toFixed(1)} s, start-up included (${Math.round(replayed.rate)} events/s); ` +
				`now ${after.written} in threads, ${after.journaled} in the journal`
		);
		if (after.written < ours.answered || after.journaled > 0)
			throw new Error(`after the replay ${after.written} of ${ours.answered} answered messages are in threads`);
	} finally {
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
}
