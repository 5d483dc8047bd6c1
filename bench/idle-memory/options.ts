/**
 * The benchmark's sizes, from issue 6, with environment overrides for quick runs:
 * BENCH_IDLE_DOCS, BENCH_IDLE_PER_DOC (ours beside the reference; 1,000 × 10),
 * BENCH_IDLE_BIG_DOCS, BENCH_IDLE_BIG_PER_DOC (ours alone; 10,000 × 10), BENCH_IDLE_GOAL_MIB (2,048),
 * BENCH_IDLE_PER_SESSION (most sockets one session holds; 200, below the default cap of 256),
 * BENCH_IDLE_PER_PROCESS (most sockets one client process holds; 12,500),
 * BENCH_IDLE_CONCURRENCY (sockets being opened at once over all client processes; 200),
 * BENCH_IDLE_SETTLE_S (longest wait for the server's RSS to stop moving; 60),
 * BENCH_IDLE_PARTS (`compare`, `big` or both, comma-separated; both).
 */
export interface IdleOptions {
	docs: number;
	perDoc: number;
	bigDocs: number;
	bigPerDoc: number;
	goalMib: number;
	perSession: number;
	perProcess: number;
	concurrency: number;
	settleS: number;
	timeoutMs: number;
	parts: Set<'compare' | 'big'>;
}

const int = (name: string, fallback: number): number => {
	const raw = process.env[name];
	const value = raw === undefined || raw === '' ? fallback : Number(raw);
	if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
	return value;
};

export function readOptions(): IdleOptions {
	const parts = (process.env.BENCH_IDLE_PARTS || 'compare,big').split(',').map((s) => s.trim());
	for (const p of parts)
		if (p !== 'compare' && p !== 'big') throw new Error(`BENCH_IDLE_PARTS: unknown part ${p} (compare, big)`);
	return {
		docs: int('BENCH_IDLE_DOCS', 1000),
		perDoc: int('BENCH_IDLE_PER_DOC', 10),
		bigDocs: int('BENCH_IDLE_BIG_DOCS', 10_000),
		bigPerDoc: int('BENCH_IDLE_BIG_PER_DOC', 10),
		goalMib: int('BENCH_IDLE_GOAL_MIB', 2048),
		perSession: int('BENCH_IDLE_PER_SESSION', 200),
		perProcess: int('BENCH_IDLE_PER_PROCESS', 12_500),
		concurrency: int('BENCH_IDLE_CONCURRENCY', 200),
		settleS: int('BENCH_IDLE_SETTLE_S', 60),
		timeoutMs: 60_000,
		parts: new Set(parts as ('compare' | 'big')[])
	};
}
