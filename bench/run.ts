import { runDeviceColdStart } from './device-cold-start/index.ts';
import { runDeviceInbox } from './device-inbox/index.ts';
import { runDeviceSockets } from './device-sockets/index.ts';
import { runGoogleSync } from './google-sync/index.ts';
import { runIdleMemory } from './idle-memory/index.ts';
import { runNotesTyping } from './notes-typing/index.ts';
import { runPatientPage } from './patient-page/index.ts';
import { runPatientsSearch } from './patients-search/index.ts';
import { runScheduleWeek } from './schedule-week/index.ts';
import { runSyncRelay } from './sync-relay/index.ts';
import { runWebhookIngest } from './webhook-ingest/index.ts';

/**
 * `npm run bench [-- name…]`: runs every benchmark in order, or only the named ones.
 * Each benchmark prints its own tables; a failing one stops the run with a non-zero exit.
 */
interface Benchmark {
	name: string;
	run(): Promise<void>;
}

const BENCHMARKS: Benchmark[] = [
	{ name: 'sync-relay', run: runSyncRelay },
	{ name: 'device-cold-start', run: runDeviceColdStart },
	{ name: 'device-inbox', run: runDeviceInbox },
	{ name: 'device-sockets', run: runDeviceSockets },
	{ name: 'idle-memory', run: runIdleMemory },
	{ name: 'webhook-ingest', run: runWebhookIngest },
	{ name: 'patients-search', run: runPatientsSearch },
	{ name: 'patient-page', run: runPatientPage },
	{ name: 'notes-typing', run: runNotesTyping },
	{ name: 'schedule-week', run: runScheduleWeek },
	{ name: 'google-sync', run: runGoogleSync }
];

async function main(names: string[]): Promise<void> {
	const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
	if (unknown.length > 0) {
		const known = BENCHMARKS.map((b) => b.name).join(', ');
		throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${known}`);
	}
	const selected = names.length > 0 ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
	for (const bench of selected) {
		console.log(`\n=== ${bench.name} ===`);
		const t0 = performance.now();
		await bench.run();
		console.log(`=== ${bench.name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s ===`);
	}
}

main(process.argv.slice(2)).then(
	() => process.exit(0),
	(error: unknown) => {
		process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
		process.exit(1);
	}
);
