import type { LadderOptions } from './ladder.ts';

/**
 * The benchmark's shape, from the issue, with environment overrides for quicker or deeper runs:
 * BENCH_SYNC_DOCS, BENCH_SYNC_PER_DOC, BENCH_SYNC_WARMUP_S, BENCH_SYNC_MEASURE_S,
 * BENCH_SYNC_FIXED and BENCH_SYNC_CLIMB (comma-separated per-client rates),
 * BENCH_SYNC_CPU_PROF (a directory: profile our server with --cpu-prof),
 * BENCH_SYNC_BASELINE (another checkout with its node_modules, e.g. a `git worktree` of an older commit:
 * its server runs beside ours and the reference, so a change's cost is measured in the same run).
 */
export interface SyncRelayOptions extends LadderOptions {
	cpuProfDir?: string;
	baselineDir?: string;
}

const num = (name: string, fallback: number): number => {
	const raw = process.env[name];
	const value = raw === undefined ? fallback : Number(raw);
	if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
	return value;
};

const list = (name: string, fallback: number[]): number[] => {
	const raw = process.env[name];
	if (raw === undefined) return fallback;
	const values = raw.split(',').filter(Boolean).map(Number);
	if (values.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`${name} must be comma-separated positive numbers`);
	return values;
};

export function readOptions(): SyncRelayOptions {
	return {
		layout: { docs: num('BENCH_SYNC_DOCS', 100), perDoc: num('BENCH_SYNC_PER_DOC', 10) },
		timing: {
			warmupMs: num('BENCH_SYNC_WARMUP_S', 3) * 1000,
			measureMs: num('BENCH_SYNC_MEASURE_S', 10) * 1000,
			drainTimeoutMs: 20_000
		},
		fixedRates: list('BENCH_SYNC_FIXED', [1, 2]),
		climbRates: list('BENCH_SYNC_CLIMB', [5, 10, 20, 40, 80]),
		// Less than 5% more than the best step before counts as no longer rising.
		riseFactor: 1.05,
		cpuProfDir: process.env.BENCH_SYNC_CPU_PROF || undefined,
		baselineDir: process.env.BENCH_SYNC_BASELINE || undefined
	};
}
