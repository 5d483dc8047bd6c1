import { checkStampsSurviveMerge } from './check.ts';
import { runLadder } from './ladder.ts';
import { readOptions } from './options.ts';
import { BUSY_ELSEWHERE_LIMIT, waitForQuietMachine } from './quiet.ts';
import { formatStepTables, formatSummary } from './report.ts';
import { startFrontdesk } from './servers/frontdesk.ts';
import { startReference } from './servers/reference.ts';

/**
 * Sync relay throughput and latency: our server against @y/websocket-server@0.1.1, same light clients,
 * same docs, same rates, one after the other at each rate. Tables go to stdout, progress to stderr.
 * The stamp check runs first: every delivery figure depends on it.
 */
export async function runSyncRelay(): Promise<void> {
	checkStampsSurviveMerge();
	const opts = readOptions();
	const { docs, perDoc } = opts.layout;
	console.log(
		`Sync relay: ${docs * perDoc} clients on ${docs} docs (${perDoc} per doc); per step ${opts.timing.warmupMs / 1000} s warm-up, ` +
			`${opts.timing.measureMs / 1000} s measured; rates ${opts.fixedRates.join(', ')}, then ${opts.climbRates.join(', ')} until delivered/s stops rising`
	);
	const load = await waitForQuietMachine(30_000);
	if (load >= BUSY_ELSEWHERE_LIMIT) {
		console.log(`WARNING: the machine stayed busy (${load.toFixed(2)} cores in use by other processes); figures will be noisy`);
	}
	const baselineDir = opts.baselineDir;
	const starts = [() => startFrontdesk({ cpuProfDir: opts.cpuProfDir }), startReference];
	if (baselineDir) starts.push(() => startFrontdesk({ root: baselineDir }));
	const [ours, reference, baseline] = await runLadder(starts, opts);
	console.log(formatStepTables(ours, reference));
	console.log(formatSummary(ours, reference, opts.fixedRates));
	if (baseline) {
		console.log(`\n--- ${baseline.name} (the baseline) against the same reference, then ours against the baseline ---`);
		console.log(formatStepTables(baseline, reference));
		console.log(formatSummary(baseline, reference, opts.fixedRates));
		console.log(formatStepTables(ours, baseline));
	}
}
