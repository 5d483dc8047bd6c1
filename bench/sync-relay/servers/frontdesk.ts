import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadKey } from '../layout.ts';
import { runScript, startServer } from './child.ts';
import type { CommitStats, RelayServer } from './types.ts';

const EMAIL = 'bench@example.com';
const PASSWORD = 'bench-password-0123456789';

export interface FrontdeskOptions {
	/** Directory for a V8 CPU profile of the server (written when it exits); none by default. */
	cpuProfDir?: string;
	/**
	 * Another checkout of this project (with its own node_modules) to run instead of this one, for a
	 * before/after comparison in the same run; its name in the tables is `frontdesk@<folder name>`.
	 */
	root?: string;
}

/**
 * Our server as in production (`server/main.ts`), on a fresh data dir with a fresh master key: a clinic
 * and an admin made with the admin CLI, one login, and every socket on that one session — so the one setting
 * raised from its default is the per-session socket cap (256, a browser profile's worth), every check still runs.
 */
export async function startFrontdesk(opts: FrontdeskOptions = {}): Promise<RelayServer> {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'frontdesk-bench-'));
	const env = {
		DATA_DIR: dataDir,
		APP_MASTER_KEY: randomBytes(32).toString('base64'),
		HOST: '127.0.0.1',
		DEMO_CLINIC: 'false',
		LOG_LEVEL: 'warn',
		SYNC_MAX_SOCKETS_PER_SESSION: '100000'
	};
	const clinic = JSON.parse(await runScript('server/cli/admin.ts', ['create-clinic', '--name', 'Bench'], env, '', opts.root)) as {
		id: string;
	};
	await runScript(
		'server/cli/admin.ts',
		['create-user', '--clinic', clinic.id, '--email', EMAIL, '--name', 'Bench', '--role', 'admin'],
		env,
		PASSWORD,
		opts.root
	);
	const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
	const server = await startServer('server/main.ts', { env, nodeArgs, readyPath: '/healthz', cwd: opts.root });
	const origin = `http://127.0.0.1:${server.port}`;
	const cookie = await login(origin);
	return {
		name: opts.root ? `frontdesk@${path.basename(path.resolve(opts.root))}` : 'frontdesk',
		pid: server.child.pid ?? -1,
		headers: { cookie, origin },
		socketUrl: (doc) => `ws://127.0.0.1:${server.port}/sync/${clinic.id}/thread/${threadKey(doc)}`,
		async commitStats(): Promise<CommitStats> {
			// /metrics answers loopback requests without a token.
			// A baseline from before /metrics existed answers 404 here: its figures show as '-'.
			const text = await (await fetch(`${origin}/metrics`)).text();
			const read = (name: string) =>
				Number(/^(\S+) (\S+)$/m.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2]);
			return { commits: read('frontdesk_sync_commits'), updates: read('frontdesk_sync_updates') };
		},
		async stop() {
			await server.stop();
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

async function login(origin: string): Promise<string> {
	const res = await fetch(`${origin}/trpc/auth.login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: EMAIL, password: PASSWORD })
	});
	if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status} ${await res.text()}`);
	const cookie = res.headers.getSetCookie().find((c) => c.startsWith('fd_session='));
	if (!cookie) throw new Error('login gave no fd_session cookie');
	return cookie.split(';')[0];
}
