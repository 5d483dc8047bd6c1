import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { runScript, startServer, type ServerChild } from '../sync-relay/servers/child.ts';

/** A server under test, as the client processes see it. */
export interface IdleServer {
	name: string;
	pid: number;
	/** Socket URL with `{doc}` standing for the doc key. */
	urlTemplate: string;
	/** The multiplexed endpoint (`/sync`, SYNC-MUX-*) and the doc name its channels open, `{doc}` for the key; null without one. */
	mux: { url: string; docTemplate: string } | null;
	/** One cookie per session (none for the reference, which has no authentication). */
	cookies: string[];
	/** Sent as Origin with every upgrade (our server takes the cookie only with its own origin). */
	origin: string | null;
	/** How the server was set up, for the table. */
	setup: string;
	stop(): Promise<void>;
}

/** Logins per account: several devices of one person, each from its own address. */
const LOGINS_PER_ACCOUNT = 5;
/** Logins going on at once (each is an argon2 verification on the server's thread pool). */
const LOGIN_CONCURRENCY = 4;

interface Accounts {
	clinicId: string;
	emails: string[];
	password: string;
}

/**
 * Our server as in production (`server/main.ts`, default settings: no cap raised), on a fresh data dir:
 * one clinic, enough reception accounts, and `sessions` sign-ins through `/trpc/auth.login`, spread over
 * accounts and over source addresses 127.0.1.x (login is rate-limited per account and per address).
 * With `root`, the server of another checkout of this project (BENCH_IDLE_BASELINE), run from its folder and
 * set up with its own admin CLI (its store's schema may differ from this checkout's); its name in the tables is
 * `frontdesk@<folder name>`.
 */
export async function startOurs(sessions: number, root?: string): Promise<IdleServer> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'frontdesk-idle-bench-'));
	const env = {
		DATA_DIR: dataDir,
		APP_MASTER_KEY: randomBytes(32).toString('base64'),
		HOST: '127.0.0.1',
		DEMO_CLINIC: 'false',
		LOG_LEVEL: 'warn'
	};
	let server: ServerChild | null = null;
	try {
		const accountCount = Math.ceil(sessions / LOGINS_PER_ACCOUNT);
		const accounts = root
			? await setupWithCli(accountCount, env, root)
			: (JSON.parse(await runScript('bench/idle-memory/setupAccounts.ts', [String(accountCount)], env)) as Accounts);
		server = await startServer('server/main.ts', { env, readyPath: '/healthz', cwd: root });
		const pid = server.child.pid ?? -1;
		const origin = `http://127.0.0.1:${server.port}`;
		const port = server.port;
		const cookies: string[] = new Array<string>(sessions);
		let next = 0;
		const worker = async () => {
			while (next < sessions) {
				const j = next++;
				const address = `127.0.1.${1 + (j % 250)}`;
				cookies[j] = await login(port, origin, accounts.emails[j % accountCount], accounts.password, address);
			}
		};
		await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
		const child = server;
		return {
			name: root ? `frontdesk@${path.basename(path.resolve(root))}` : 'frontdesk',
			pid,
			urlTemplate: `ws://127.0.0.1:${port}/sync/${accounts.clinicId}/thread/{doc}`,
			mux: root ? null : { url: `ws://127.0.0.1:${port}/sync`, docTemplate: `${accounts.clinicId}/thread/{doc}` },
			cookies,
			origin,
			setup:
				(root ? `checkout ${path.resolve(root)}, accounts made with its admin CLI; ` : '') +
				`default settings (no cap raised); ${sessions} session${sessions === 1 ? '' : 's'} from ${accountCount} ` +
				`reception account${accountCount === 1 ? '' : 's'} ` +
				`(signed in over HTTP from 127.0.1.x), cookie + Origin on every upgrade`,
			async stop() {
				await child.stop();
				fs.rmSync(dataDir, { recursive: true, force: true });
			}
		};
	} catch (error) {
		await server?.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
		throw error;
	}
}

/** @y/websocket-server@0.1.1, started exactly as the sync-relay bench starts it (its referenceMain.ts). */
export async function startReference(): Promise<IdleServer> {
	const server = await startServer('bench/sync-relay/servers/referenceMain.ts', { env: { HOST: '127.0.0.1' }, readyPath: '/' });
	return {
		name: 'reference',
		pid: server.child.pid ?? -1,
		urlTemplate: `ws://127.0.0.1:${server.port}/bench/thread/{doc}`,
		mux: null,
		cookies: [],
		origin: null,
		setup: '@y/websocket-server 0.1.1 (setupWSConnection on ws 8, no auth, no persistence)',
		stop: () => server.stop()
	};
}

/** The password of every bench account. */
const BENCH_PASSWORD = 'idle-bench-password-0123456789';

/**
 * A clinic and `count` reception accounts made with the admin CLI of the checkout at `root`, run from there with
 * the server's DATA_DIR and APP_MASTER_KEY (setupAccounts.ts would use this checkout's store modules and schema).
 * One CLI run per account, a few at once.
 */
async function setupWithCli(count: number, env: Record<string, string>, root: string): Promise<Accounts> {
	const clinic = JSON.parse(await runScript('server/cli/admin.ts', ['create-clinic', '--name', 'Idle bench'], env, '', root)) as {
		id: string;
	};
	const emails = Array.from({ length: count }, (_, i) => `idle${i}@example.com`);
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const i = next++;
			await runScript(
				'server/cli/admin.ts',
				['create-user', '--clinic', clinic.id, '--email', emails[i], '--name', `Idle ${i}`, '--role', 'reception'],
				env,
				BENCH_PASSWORD,
				root
			);
		}
	};
	await Promise.all(Array.from({ length: Math.min(count, 2) }, worker));
	return { clinicId: clinic.id, emails, password: BENCH_PASSWORD };
}

/** Signs in from `localAddress` and returns the `fd_session=…` cookie pair. */
function login(port: number, origin: string, email: string, password: string, localAddress: string): Promise<string> {
	const body = JSON.stringify({ email, password });
	return new Promise((resolve, reject) => {
		const req = http.request(
			{
				host: '127.0.0.1',
				port,
				path: '/trpc/auth.login',
				method: 'POST',
				localAddress,
				headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), origin }
			},
			(res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (chunk: string) => (text += chunk));
				res.on('end', () => {
					if (res.statusCode !== 200) {
						return reject(
							new Error(`login of ${email} from ${localAddress} failed: HTTP ${res.statusCode} ${text.slice(0, 300)}`)
						);
					}
					const cookie = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('fd_session='));
					if (!cookie) return reject(new Error(`login of ${email} gave no fd_session cookie`));
					resolve(cookie.split(';')[0]);
				});
			}
		);
		req.on('error', reject);
		req.end(body);
	});
}
