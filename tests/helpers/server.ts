import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Accounts } from '../../server/auth/index.ts';
import { openStoreAndKeys } from '../../server/boot.ts';
import { loadConfig } from '../../server/config/index.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerEnv {
	DATA_DIR: string;
	APP_MASTER_KEY: string;
	[key: string]: string;
}

export function tempDataDir(prefix = 'frontdesk-test-'): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function testEnv(extra: Record<string, string> = {}): ServerEnv {
	return {
		DATA_DIR: tempDataDir(),
		APP_MASTER_KEY: randomBytes(32).toString('base64'),
		DEMO_CLINIC: 'false',
		LOG_LEVEL: 'info',
		HOST: '127.0.0.1',
		...extra
	};
}

/** Ends a test's server when the test process is gone (tests/helpers/exitWithParent.ts). */
const EXIT_WITH_PARENT = pathToFileURL(path.join(ROOT, 'tests/helpers/exitWithParent.ts')).href;

/** The real server process (`server/main.ts`), on a random port unless one is given. */
export class ServerProcess {
	readonly child: ChildProcess;
	readonly port: number;
	readonly logs: string[];

	private constructor(child: ChildProcess, port: number, logs: string[]) {
		this.child = child;
		this.port = port;
		this.logs = logs;
	}

	static async start(env: ServerEnv, port = 0): Promise<ServerProcess> {
		const child = spawn(process.execPath, ['--import', 'tsx', '--import', EXIT_WITH_PARENT, 'server/main.ts'], {
			cwd: ROOT,
			env: { ...process.env, ...env, PORT: String(port) },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		const logs: string[] = [];
		const listening = new Promise<number>((resolve, reject) => {
			let buffer = '';
			child.stdout!.on('data', (chunk: Buffer) => {
				buffer += chunk.toString('utf8');
				let nl;
				while ((nl = buffer.indexOf('\n')) >= 0) {
					const line = buffer.slice(0, nl);
					buffer = buffer.slice(nl + 1);
					logs.push(line);
					if (line.includes('"msg":"listening"')) resolve(JSON.parse(line).port as number);
				}
			});
			child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
			child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${logs.join('\n')}`)));
		});
		return new ServerProcess(child, await listening, logs);
	}

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/** Resolves once a log line matching `predicate` has arrived (logs are written after the response they follow). */
	logged(predicate: (line: string) => boolean): Promise<void> {
		if (this.logs.some(predicate)) return Promise.resolve();
		return new Promise((resolve) => {
			const check = () => {
				if (!this.logs.some(predicate)) return;
				this.child.stdout!.off('data', check);
				resolve();
			};
			// Registered after the listener that fills `logs`, so each chunk is in `logs` when this runs.
			this.child.stdout!.on('data', check);
		});
	}

	get wsUrl(): string {
		return `ws://127.0.0.1:${this.port}`;
	}

	/** Resolves with the exit code or signal. */
	exited(): Promise<number | string | null> {
		if (this.child.exitCode !== null || this.child.signalCode !== null)
			return Promise.resolve(this.child.exitCode ?? this.child.signalCode);
		return new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? signal)));
	}

	async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string | null> {
		const exited = this.exited();
		this.child.kill(signal);
		return exited;
	}
}

/** Runs the admin CLI like `npm run admin -- …` does and parses its JSON output. */
export function admin(
	env: ServerEnv,
	args: string[],
	stdin = ''
): Promise<{ code: number; json: Record<string, unknown> | null; stderr: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/admin.ts', ...args], {
			cwd: ROOT,
			env: { ...process.env, ...env },
			stdio: ['pipe', 'pipe', 'pipe']
		});
		let out = '';
		let err = '';
		child.stdout.on('data', (c: Buffer) => (out += c.toString()));
		child.stderr.on('data', (c: Buffer) => (err += c.toString()));
		child.on('error', reject);
		child.on('exit', (code) => resolve({ code: code ?? -1, json: out.trim() ? JSON.parse(out) : null, stderr: err }));
		child.stdin.end(stdin);
	});
}

export interface TestUser {
	id: string;
	clinicId: string;
	email: string;
	password: string;
	name: string;
}

let counter = 0;

/**
 * Runs account calls in this process on the data folder of `env`, as the admin CLI's `create-clinic` and
 * `create-user` do in theirs (the same `openStoreAndKeys` and `Accounts`): a test's fixtures without spawning a
 * Node process each (about 1.5 s apiece, minutes over the suites). The CLI itself is tested through `admin()`.
 */
async function withAccounts<T>(env: ServerEnv, run: (accounts: Accounts) => Promise<T>): Promise<T> {
	const { store, keyring } = await openStoreAndKeys(loadConfig(env));
	try {
		return await run(new Accounts(store, keyring));
	} finally {
		await store.close();
	}
}

export async function createClinic(env: ServerEnv, name = 'Test Clinic'): Promise<string> {
	return (await withAccounts(env, (accounts) => accounts.createClinic({ name }))).id;
}

export async function createUser(
	env: ServerEnv,
	clinicId: string,
	role: 'admin' | 'practitioner' | 'reception'
): Promise<TestUser> {
	const email = `${role}${++counter}-${process.pid}@example.com`;
	const password = `correct horse ${counter} battery`;
	const name = `Staff ${counter}`;
	const user = await withAccounts(env, (accounts) => accounts.createUser({ clinicId, email, name, role, password }));
	return { id: user.id, clinicId, email, password, name };
}

/** Reads one unlabelled figure from the server's `/metrics` (tests reach it from loopback, where it answers). */
export async function metric(server: ServerProcess, name: string): Promise<number> {
	const text = await (await fetch(`${server.url}/metrics`)).text();
	const line = text.split('\n').find((l) => l.startsWith(`${name} `));
	if (!line) throw new Error(`no metric ${name}`);
	return Number(line.slice(name.length + 1));
}

/** Sum of `frontdesk_limit_hits_total` for one limit (0 when it was never hit). */
export async function limitHits(server: ServerProcess, limit: string): Promise<number> {
	const text = await (await fetch(`${server.url}/metrics`)).text();
	const line = text.split('\n').find((l) => l.startsWith(`frontdesk_limit_hits_total{limit="${limit}"}`));
	return line ? Number(line.split(' ').pop()) : 0;
}

/** A loopback port free right now: for a server whose address must be known before it starts (its ORIGIN). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = net.createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const { port } = probe.address() as net.AddressInfo;
			probe.close(() => resolve(port));
		});
	});
}
