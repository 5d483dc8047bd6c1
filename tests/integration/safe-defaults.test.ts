import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../server/store/index.ts';
import { DEMO_ADMIN_EMAIL } from '../../server/seed/demoClinic.ts';
import { login, trpc } from '../helpers/client.ts';
import { ROOT, tempDataDir } from '../helpers/server.ts';

/**
 * SAFE-KEY-* and SAFE-DEMO-* (docs/spec/server.md) through the real server process and the real admin CLI.
 * Each process gets exactly the environment given here (not the test runner's), so no key leaks in from outside.
 */

interface Run {
	readonly output: string[];
	/** Resolves with the port once the server logs `listening`, or rejects with its output if it exits first. */
	readonly listening: Promise<number>;
	readonly exited: Promise<number | null>;
	/** Resolves once a line of the output matches. */
	printed(pattern: RegExp): Promise<void>;
	stop(): Promise<number | null>;
}

const running: Run[] = [];
afterEach(async () => {
	await Promise.all(running.splice(0).map((r) => r.stop()));
});

function spawnEntry(script: string, env: Record<string, string>, args: string[] = [], stdin = ''): Run {
	const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
		cwd: ROOT,
		env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
		stdio: ['pipe', 'pipe', 'pipe']
	});
	const output: string[] = [];
	const lineWaiters = new Set<() => void>();
	const exited = new Promise<number | null>((resolve) =>
		child.once('exit', (code, signal) => {
			if (signal) output.push(`signal ${signal}`);
			resolve(code);
		})
	);
	const listening = new Promise<number>((resolve, reject) => {
		let buffer = '';
		child.stdout.on('data', (chunk: Buffer) => {
			buffer += chunk.toString('utf8');
			let nl;
			while ((nl = buffer.indexOf('\n')) >= 0) {
				const line = buffer.slice(0, nl);
				buffer = buffer.slice(nl + 1);
				output.push(line);
				for (const waiter of lineWaiters) waiter();
				if (line.includes('"msg":"listening"')) resolve(JSON.parse(line).port as number);
			}
		});
		child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
		void exited.then((code) => reject(new Error(`exited with ${code}:\n${output.join('\n')}`)));
	});
	listening.catch(() => {});
	child.stdin.end(stdin);
	const run: Run = {
		output,
		listening,
		exited,
		printed(pattern) {
			return new Promise((resolve, reject) => {
				const check = () => {
					if (!output.some((line) => pattern.test(line))) return;
					lineWaiters.delete(check);
					resolve();
				};
				lineWaiters.add(check);
				check();
				void exited.then(() => reject(new Error(`exited before printing ${pattern}:\n${output.join('\n')}`)));
			});
		},
		stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
			return exited;
		}
	};
	running.push(run);
	return run;
}

const server = (env: Record<string, string>) => spawnEntry('server/main.ts', env);
const adminCli = (env: Record<string, string>, args: string[], stdin = '') => spawnEntry('server/cli/admin.ts', env, args, stdin);

/** Every file under `dir` with its mode and a hash of its bytes: equal snapshots mean nothing was written. */
function snapshot(dir: string): Record<string, string> {
	const files: Record<string, string> = {};
	if (!fs.existsSync(dir)) return files;
	for (const name of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
		const file = path.join(dir, name);
		const stat = fs.statSync(file);
		files[name] = stat.isFile()
			? `${(stat.mode & 0o777).toString(8)} ${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`
			: 'dir';
	}
	return files;
}

async function clinicCount(dataDir: string): Promise<number> {
	const store = openStore(dataDir);
	try {
		return await store.clinics.count();
	} finally {
		await store.close();
	}
}

const newKey = () => randomBytes(32).toString('base64');

/** A data folder holding one clinic, written by the CLI with `key`. */
async function folderWithData(key: string): Promise<string> {
	const dataDir = tempDataDir();
	const created = adminCli({ DATA_DIR: dataDir, APP_MASTER_KEY: key }, ['create-clinic', '--name', 'Klinik']);
	expect(await created.exited).toBe(0);
	return dataDir;
}

describe('SAFE-KEY-1 production needs an explicit master key outside DATA_DIR', () => {
	it('SAFE-KEY-1 production without APP_MASTER_KEY refuses to start, names the setting and creates no file', async () => {
		const dataDir = path.join(tempDataDir(), 'data');
		const run = server({ NODE_ENV: 'production', DATA_DIR: dataDir });
		expect(await run.exited).toBe(1);
		expect(run.output.join('\n')).toMatch(/NODE_ENV=production needs APP_MASTER_KEY .* or APP_MASTER_KEY_FILE/);
		expect(fs.existsSync(dataDir)).toBe(false);
	});

	it('SAFE-KEY-1 production with APP_MASTER_KEY_FILE inside DATA_DIR refuses and writes nothing', async () => {
		const dataDir = tempDataDir();
		const keyFile = path.join(dataDir, 'keys', 'prod.key');
		fs.mkdirSync(path.dirname(keyFile));
		fs.writeFileSync(keyFile, newKey(), { mode: 0o600 });
		const before = snapshot(dataDir);
		const run = server({ NODE_ENV: 'production', DATA_DIR: dataDir, APP_MASTER_KEY_FILE: keyFile });
		expect(await run.exited).toBe(1);
		expect(run.output.join('\n')).toMatch(/APP_MASTER_KEY_FILE \(.*prod\.key\) is inside DATA_DIR/);
		expect(snapshot(dataDir)).toEqual(before);
	});

	it('SAFE-KEY-1 production with an APP_MASTER_KEY_FILE that does not exist refuses and creates none', async () => {
		const keyFile = path.join(tempDataDir('frontdesk-keys-'), 'master.key');
		const dataDir = path.join(tempDataDir(), 'data');
		const run = server({ NODE_ENV: 'production', DATA_DIR: dataDir, APP_MASTER_KEY_FILE: keyFile });
		expect(await run.exited).toBe(1);
		expect(run.output.join('\n')).toMatch(/APP_MASTER_KEY_FILE \(.*\) does not exist/);
		expect(fs.existsSync(keyFile)).toBe(false);
		expect(fs.existsSync(dataDir)).toBe(false);
	});
});

describe('SAFE-DEMO production seeds no demo clinic and prints no password', () => {
	it('SAFE-DEMO-1 a production start with a key file outside DATA_DIR serves, seeds no demo clinic and prints no password', async () => {
		const keyFile = path.join(tempDataDir('frontdesk-keys-'), 'master.key');
		fs.writeFileSync(keyFile, newKey(), { mode: 0o600 });
		const dataDir = tempDataDir();
		const run = server({ NODE_ENV: 'production', DATA_DIR: dataDir, APP_MASTER_KEY_FILE: keyFile });
		await run.listening;
		expect(await run.stop()).toBe(0);
		expect(run.output.join('\n')).not.toMatch(/password|demo/i);
		expect(await clinicCount(dataDir)).toBe(0);
		expect(fs.readdirSync(dataDir)).not.toContain('master.key');
	});

	it('SAFE-DEMO-2 production with DEMO_CLINIC=true seeds the clinic, but no password is made or printed', async () => {
		const dataDir = tempDataDir();
		const run = server({ NODE_ENV: 'production', DATA_DIR: dataDir, APP_MASTER_KEY: newKey(), DEMO_CLINIC: 'true' });
		await run.listening;
		const code = await run.stop();
		const output = run.output.join('\n');
		expect(code, output).toBe(0);
		expect(output).toMatch(/Demo clinic \S+ created without an admin/);
		expect(output).not.toMatch(/password/i);
		expect(await clinicCount(dataDir)).toBe(1);
		const store = openStore(dataDir);
		try {
			expect(await store.users.getByEmail(DEMO_ADMIN_EMAIL)).toBeNull();
		} finally {
			await store.close();
		}
	});
});

describe('SAFE-KEY-2 the admin CLI never creates a key and writes nothing without the right one', () => {
	it('SAFE-KEY-2 the CLI without the key changes nothing in the data folder', async () => {
		const dataDir = await folderWithData(newKey());
		const before = snapshot(dataDir);
		const run = adminCli({ DATA_DIR: dataDir }, ['create-clinic', '--name', 'Stray']);
		expect(await run.exited).toBe(1);
		expect(run.output.join('\n')).toMatch(/no master key: APP_MASTER_KEY is unset/);
		expect(snapshot(dataDir)).toEqual(before);
	});

	it('SAFE-KEY-2 SAFE-KEY-4 the CLI with another key refuses and changes nothing in the data folder', async () => {
		const dataDir = await folderWithData(newKey());
		const before = snapshot(dataDir);
		const run = adminCli({ DATA_DIR: dataDir, APP_MASTER_KEY: newKey() }, ['create-clinic', '--name', 'Stray']);
		expect(await run.exited).toBe(1);
		expect(run.output.join('\n')).toMatch(/master key does not match/);
		expect(snapshot(dataDir)).toEqual(before);
	});

	it('SAFE-KEY-2 the CLI creates no key file on a new data folder either', async () => {
		const dataDir = tempDataDir();
		const run = adminCli({ DATA_DIR: dataDir, NODE_ENV: 'development' }, ['create-clinic', '--name', 'Stray']);
		expect(await run.exited).toBe(1);
		expect(fs.readdirSync(dataDir)).toEqual([]);
	});
});

describe('SAFE-KEY-3 a development server creates the default key file only on a new data folder', () => {
	it('SAFE-KEY-3 SAFE-DEMO-1 SAFE-DEMO-3 a first development start creates DATA_DIR/master.key 0600 and the demo clinic; its sign-in is printed last at every start until the password is changed', async () => {
		const dataDir = tempDataDir();
		const run = server({ NODE_ENV: 'development', DATA_DIR: dataDir });
		const port = await run.listening;
		await run.printed(/password: /);
		const keyFile = path.join(dataDir, 'master.key');
		expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
		const output = run.output.join('\n');
		expect(output).toContain(`email:    ${DEMO_ADMIN_EMAIL}`);
		const password = /password: (\S+)/.exec(output)?.[1];
		expect(password).toBeDefined();
		// Last: after the server's own log lines, where a person looks.
		expect(output.lastIndexOf('"msg":"listening"')).toBeLessThan(output.indexOf('password: '));
		const cookie = await login(`http://127.0.0.1:${port}`, DEMO_ADMIN_EMAIL, password!);
		expect(await run.stop()).toBe(0);

		// The second start reads the same key, seeds nothing more, and prints the same sign-in again.
		const key = fs.readFileSync(keyFile);
		const again = server({ NODE_ENV: 'development', DATA_DIR: dataDir });
		const againPort = await again.listening;
		await again.printed(new RegExp(`password: ${password}`));
		expect(fs.readFileSync(keyFile)).toEqual(key);
		expect(await clinicCount(dataDir)).toBe(1);

		// Once the admin has chosen their own password, it is shown no more.
		const changed = await trpc(
			`http://127.0.0.1:${againPort}`,
			'account.changePassword',
			{ current: password, next: 'a new long password' },
			{ cookie }
		);
		expect(changed.status).toBe(200);
		expect(await again.stop()).toBe(0);
		const third = server({ NODE_ENV: 'development', DATA_DIR: dataDir });
		await third.listening;
		expect(await third.stop()).toBe(0);
		expect(third.output.join('\n')).not.toMatch(/password/);
	});

	it('SAFE-KEY-3 a missing key file next to existing data refuses to start and creates no key', async () => {
		const dataDir = await folderWithData(newKey());
		const before = snapshot(dataDir);
		const run = server({ NODE_ENV: 'development', DATA_DIR: dataDir });
		expect(await run.exited).toBe(1);
		expect(run.output.join('\n')).toMatch(/master key file .*master\.key is missing, but DATA_DIR .* holds data/);
		expect(snapshot(dataDir)).toEqual(before);
	});

	it('SAFE-KEY-3 an APP_MASTER_KEY_FILE that does not exist is not created, even in development', async () => {
		const keyFile = path.join(tempDataDir('frontdesk-keys-'), 'master.key');
		const run = server({ NODE_ENV: 'development', DATA_DIR: tempDataDir(), APP_MASTER_KEY_FILE: keyFile });
		expect(await run.exited).toBe(1);
		expect(run.output.join('\n')).toMatch(/no master key/);
		expect(fs.existsSync(keyFile)).toBe(false);
	});
});
