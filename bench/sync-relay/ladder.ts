import { performance } from 'node:perf_hooks';
import { Fleet } from './fleet.ts';
import type { Layout } from './layout.ts';
import { peakRssMb, rssMb } from './procStats.ts';
import type { RelayServer } from './servers/types.ts';
import { runStep, type StepResult, type StepTiming } from './step.ts';

export interface LadderOptions {
	layout: Layout;
	timing: StepTiming;
	/** Per-client rates always run (the ones the issue compares at). */
	fixedRates: number[];
	/** Higher rates, run in order until delivered/s stops rising. */
	climbRates: number[];
	/** A step "rises" if it delivers at least this factor times the best step before it. */
	riseFactor: number;
}

export interface ServerRun {
	name: string;
	connectMs: number;
	/** Server RSS with every client connected and synced, before any update. */
	connectedRssMb: number;
	steps: StepResult[];
	/** Peak RSS over the server's whole life (VmHWM). */
	lifetimePeakRssMb: number;
	socketsLost: number;
	gaps: number;
}

/**
 * One server, start to stop: connect the fleet, run the fixed rates, then climb until saturation.
 * Each step starts from a drained state, so a step's backlog never counts in the next one.
 */
export async function runLadder(start: () => Promise<RelayServer>, opts: LadderOptions): Promise<ServerRun> {
	const server = await start();
	const fleet = new Fleet(opts.layout);
	try {
		const t0 = performance.now();
		await fleet.connect(server);
		const connectMs = performance.now() - t0;
		const connectedRssMb = rssMb(server.pid);
		progress(`${server.name}: ${opts.layout.docs * opts.layout.perDoc} clients synced in ${connectMs.toFixed(0)} ms, RSS ${connectedRssMb.toFixed(0)} MB`);

		const steps: StepResult[] = [];
		const run = async (rate: number) => {
			const step = await runStep(fleet, server, rate, opts.timing);
			steps.push(step);
			progress(
				`${server.name} @${rate}/s: delivered ${step.delivered.toFixed(0)}/s of ${step.expected.toFixed(0)}/s, ` +
					`p50 ${step.p50.toFixed(2)} ms, p99 ${step.p99.toFixed(2)} ms, server CPU ${(step.serverMainCpu * 100).toFixed(0)}% main, ` +
					`client ELU ${(step.clientElu * 100).toFixed(0)}%${step.drained ? '' : ', NOT DRAINED'}`
			);
			return step;
		};
		for (const rate of opts.fixedRates) await run(rate);
		let best = Math.max(...steps.map((s) => s.delivered));
		for (const rate of opts.climbRates) {
			const step = await run(rate);
			if (step.delivered < best * opts.riseFactor) break;
			best = step.delivered;
		}
		return {
			name: server.name,
			connectMs,
			connectedRssMb,
			steps,
			lifetimePeakRssMb: peakRssMb(server.pid),
			socketsLost: fleet.tally.socketsLost,
			gaps: fleet.tally.totalGaps
		};
	} finally {
		await fleet.close();
		await server.stop();
	}
}

const progress = (line: string) => process.stderr.write(`  ${line}\n`);
