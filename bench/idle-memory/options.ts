import fs from 'node:fs';
import path from 'node:path';

/**
 * The benchmark's sizes, from issue 6, with environment overrides for quick runs:
 * BENCH_IDLE_DOCS, BENCH_IDLE_PER_DOC (ours beside the reference; 1,000 × 10),
 * BENCH_IDLE_BIG_DOCS, BENCH_IDLE_BIG_PER_DOC (ours alone, parts `big` and `mux`; 10,000 × 10), BENCH_IDLE_GOAL_MIB (2,048),
 * BENCH_IDLE_PER_SESSION (most sockets one session holds; 200, below the default cap of 512),
 * BENCH_IDLE_MUX_CHANNELS (docs one multiplexed socket carries in part `mux`, one socket per session; 400, the
 * server's default SYNC_MAX_DOCS_PER_MUX, below SYNC_MAX_SOCKETS_PER_SESSION's 512),
 * BENCH_IDLE_PER_PROCESS (most sockets one client process holds; 12,500),
 * BENCH_IDLE_CONCURRENCY (sockets or channels being opened at once over all client processes; 200),
 * BENCH_IDLE_SETTLE_S (longest wait for the server's RSS to stop moving; 60),
 * BENCH_IDLE_PARTS (`compare`, `big`, `mux`, comma-separated; all three):
 *   `compare`: 10,000 sockets of `/sync/<doc>` on 1,000 docs, ours beside @y/websocket-server;
 *   `big`: 100,000 sockets of `/sync/<doc>` (one per doc subscription), ours alone, as many as the open-file limit
 *   allows, extrapolated to 100,000 where it does not;
 *   `mux`: 100,000 doc subscriptions as channels of multiplexed sockets of `/sync` (as devices hold them: 250 sockets
 *   × 400 channels), ours alone, measured for real (a few hundred descriptors, within any open-file limit).
 * BENCH_IDLE_BASELINE=<dir>: another checkout of this project (e.g. a git worktree of an older commit, its
 *   node_modules present or symlinked; no build needed). Part `compare` then also runs that checkout's server
 *   (`server/main.ts` from <dir>, clinic and accounts made with <dir>'s own `server/cli/admin.ts`) with the same
 *   sockets, as a third column `frontdesk@<folder name>`. It needs only `/healthz`, `/trpc/auth.login` and
 *   `/sync/<clinic>/thread/<id>` there.
 */
export type IdlePart = 'compare' | 'big' | 'mux';
const PARTS: readonly IdlePart[] = ['compare', 'big', 'mux'];

export interface IdleOptions {
	docs: number;
	perDoc: number;
	bigDocs: number;
	bigPerDoc: number;
	goalMib: number;
	perSession: number;
	muxChannels: number;
	perProcess: number;
	concurrency: number;
	settleS: number;
	timeoutMs: number;
	parts: Set<IdlePart>;
	/** Absolute path of the baseline checkout, or null. */
	baseline: string | null;
}

const int = (name: string, fallback: number): number => {
	const raw = process.env[name];
	const value = raw === undefined || raw === '' ? fallback : Number(raw);
	if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
	return value;
};

function baselineDir(): string | null {
	const raw = process.env.BENCH_IDLE_BASELINE;
	if (!raw) return null;
	const dir = path.resolve(raw);
	for (const file of ['server/main.ts', 'server/cli/admin.ts', 'node_modules']) {
		if (!fs.existsSync(path.join(dir, file))) throw new Error(`BENCH_IDLE_BASELINE: ${dir} has no ${file}`);
	}
	return dir;
}

export function readOptions(): IdleOptions {
	const parts = (process.env.BENCH_IDLE_PARTS || PARTS.join(',')).split(',').map((s) => s.trim());
	for (const p of parts)
		if (!(PARTS as readonly string[]).includes(p)) throw new Error(`BENCH_IDLE_PARTS: unknown part ${p} (${PARTS.join(', ')})`);
	return {
		docs: int('BENCH_IDLE_DOCS', 1000),
		perDoc: int('BENCH_IDLE_PER_DOC', 10),
		bigDocs: int('BENCH_IDLE_BIG_DOCS', 10_000),
		bigPerDoc: int('BENCH_IDLE_BIG_PER_DOC', 10),
		goalMib: int('BENCH_IDLE_GOAL_MIB', 2048),
		perSession: int('BENCH_IDLE_PER_SESSION', 200),
		muxChannels: int('BENCH_IDLE_MUX_CHANNELS', 400),
		perProcess: int('BENCH_IDLE_PER_PROCESS', 12_500),
		concurrency: int('BENCH_IDLE_CONCURRENCY', 200),
		settleS: int('BENCH_IDLE_SETTLE_S', 60),
		timeoutMs: 60_000,
		parts: new Set(parts as IdlePart[]),
		baseline: baselineDir()
	};
}
