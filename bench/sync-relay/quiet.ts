import { clockTicks, machineTicks } from './procStats.ts';

/**
 * The figures are only worth comparing if nothing else competes for the two cores, so the benchmark
 * waits for the machine to go quiet before it starts and flags (and retries once) steps that shared it.
 */
export const BUSY_ELSEWHERE_LIMIT = 0.25;

/** CPU in use across the machine over the next `ms`, in cores. */
export async function machineLoad(ms: number): Promise<number> {
	const before = machineTicks();
	await new Promise((r) => setTimeout(r, ms));
	return (machineTicks().busy - before.busy) / clockTicks() / (ms / 1000);
}

/** Resolves once a whole second passes with less than BUSY_ELSEWHERE_LIMIT cores busy, or after `maxWaitMs`; returns the last load seen. */
export async function waitForQuietMachine(maxWaitMs: number): Promise<number> {
	const deadline = performance.now() + maxWaitMs;
	for (;;) {
		const load = await machineLoad(1000);
		if (load < BUSY_ELSEWHERE_LIMIT || performance.now() > deadline) return load;
	}
}
