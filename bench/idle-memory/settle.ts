import { rssMb } from '../sync-relay/procStats.ts';

export interface SettledRss {
	mib: number;
	/** False if RSS was still moving when the wait ran out (the figure is then the last reading). */
	settled: boolean;
	waitedS: number;
}

const SAMPLE_MS = 1000;
/** Consecutive readings that must agree. */
const WINDOW = 5;
/** "Agree": within this many MiB, or this share of the reading, whichever is larger. */
const TOLERANCE_MIB = 1;
const TOLERANCE_SHARE = 0.005;

/**
 * Reads the server's RSS (VmRSS of /proc/<pid>/status) once a second until WINDOW readings in a row lie
 * within the tolerance of each other, or `maxWaitS` passed. Measured from outside: nothing in the server
 * changes for the bench (no --expose-gc), so the figure is what an operator would see on an idle server.
 */
export async function settledRss(pid: number, maxWaitS: number): Promise<SettledRss> {
	const t0 = performance.now();
	const readings: number[] = [];
	for (;;) {
		readings.push(rssMb(pid));
		const last = readings.slice(-WINDOW);
		const waitedS = (performance.now() - t0) / 1000;
		if (last.length === WINDOW) {
			const spread = Math.max(...last) - Math.min(...last);
			if (spread <= Math.max(TOLERANCE_MIB, TOLERANCE_SHARE * last[last.length - 1])) {
				return { mib: last[last.length - 1], settled: true, waitedS };
			}
		}
		if (waitedS >= maxWaitS) return { mib: readings[readings.length - 1], settled: false, waitedS };
		await new Promise((r) => setTimeout(r, SAMPLE_MS));
	}
}
