import { checkStampsSurviveMerge } from './check.ts';
import { runLadder } from './ladder.ts';
import { readOptions } from './options.ts';
import { formatStepTables, formatSummary } from './report.ts';
import { startFrontdesk } from './servers/frontdesk.ts';
import { startReference } from './servers/reference.ts';

/**
 * Sync relay throughput and latency: our server against @y/websocket-server@0.1.1, same light clients,
 * same docs, same rates, one after the other. Tables go to stdout, progress to stderr.
 */
export async function runSyncRelay(): Promise<void> {
	checkStampsSurviveMerge();
	const opts = readOptions();
	const { docs, perDoc } = opts.layout;
	console.log(
		`Sync relay: ${docs * perDoc} clients on ${docs} docs (${perDoc} per doc); per step ${opts.timing.warmupMs / 1000} s warm-up, ` +
			`${opts.timing.measureMs / 1000} s measured; rates ${opts.fixedRates.join(', ')}, then ${opts.climbRates.join(', ')} until delivered/s stops rising`
	);
	const ours = await runLadder(() => startFrontdesk({ cpuProfDir: opts.cpuProfDir }), opts);
	const reference = await runLadder(startReference, opts);
	console.log(formatStepTables(ours, reference));
	console.log(formatSummary(ours, reference));
}
