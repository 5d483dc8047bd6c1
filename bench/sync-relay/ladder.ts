import { performance } from 'node:perf_hooks';
import { Fleet } from './fleet.ts';
import type { Layout } from './layout.ts';
import { peakRssMb, rssMb } from './procStats.ts';
import type { RelayServer } from './servers/types.ts';
import { BUSY_ELSEWHERE_LIMIT, waitForQuietMachine } from './quiet.ts';
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

interface Contender {
	server: RelayServer;
	fleet: Fleet;
	run: ServerRun;
	best: number;
	saturated: boolean;
}

/** Steps run again because the machine was shared, per run: enough to ride out a short burst, not to double the run time. */
const RETRY_BUDGET = 4;
/** Before each step (while our processes are idle), wait at most this long for other work on the machine to stop. */
const QUIET_WAIT_MS = 10_000;

interface Budget {
	retries: number;
}

/**
 * Runs every server through the same rates, interleaved: at each rate each server in turn, so that a
 * slow spell of the (shared, noisy) machine hits both rather than one. Each server has its own fleet,
 * connected up front; only one fleet sends at a time and each step starts from a drained state.
 * A server leaves the climb after its first step that no longer rises.
 */
export async function runLadder(starts: (() => Promise<RelayServer>)[], opts: LadderOptions): Promise<ServerRun[]> {
	const contenders: Contender[] = [];
	const budget: Budget = { retries: RETRY_BUDGET };
	try {
		for (const start of starts) contenders.push(await connect(await start(), opts.layout));
		for (const rate of opts.fixedRates) {
			for (const c of contenders) await step(c, rate, opts, budget);
		}
		for (const c of contenders) c.best = Math.max(...c.run.steps.map((s) => s.delivered));
		for (const rate of opts.climbRates) {
			const climbing = contenders.filter((c) => !c.saturated);
			if (climbing.length === 0) break;
			for (const c of climbing) {
				const result = await step(c, rate, opts, budget);
				if (result.delivered < c.best * opts.riseFactor) c.saturated = true;
				c.best = Math.max(c.best, result.delivered);
			}
		}
		for (const c of contenders) c.run.lifetimePeakRssMb = peakRssMb(c.server.pid);
		return contenders.map((c) => c.run);
	} finally {
		for (const c of contenders) {
			c.run.socketsLost = c.fleet.tally.socketsLost;
			c.run.gaps = c.fleet.tally.totalGaps;
			await c.fleet.close();
			await c.server.stop();
		}
	}
}

async function connect(server: RelayServer, layout: Layout): Promise<Contender> {
	const fleet = new Fleet(layout);
	try {
		const t0 = performance.now();
		await fleet.connect(server);
		const connectMs = performance.now() - t0;
		const connectedRssMb = rssMb(server.pid);
		progress(
			`${server.name}: ${layout.docs * layout.perDoc} clients synced in ${connectMs.toFixed(0)} ms, RSS ${connectedRssMb.toFixed(0)} MB`
		);
		const run: ServerRun = {
			name: server.name,
			connectMs,
			connectedRssMb,
			steps: [],
			lifetimePeakRssMb: 0,
			socketsLost: 0,
			gaps: 0
		};
		return { server, fleet, run, best: 0, saturated: false };
	} catch (error) {
		await fleet.close();
		await server.stop();
		throw error;
	}
}

/** Runs one step; if other work shared the machine meanwhile, runs it once more and keeps the quieter one. */
async function step(c: Contender, rate: number, opts: LadderOptions, budget: Budget): Promise<StepResult> {
	await waitForQuietMachine(QUIET_WAIT_MS);
	let result = await runStep(c.fleet, c.server, rate, opts.timing);
	if (result.otherCpu > BUSY_ELSEWHERE_LIMIT && budget.retries > 0) {
		budget.retries--;
		progress(
			`${c.server.name} @${rate}/s: other processes used ${(result.otherCpu * 100).toFixed(0)}% CPU meanwhile; running the step again`
		);
		await waitForQuietMachine(QUIET_WAIT_MS);
		const again = await runStep(c.fleet, c.server, rate, opts.timing);
		if (again.otherCpu < result.otherCpu) result = again;
	}
	c.run.steps.push(result);
	progress(
		`${c.server.name} @${rate}/s: delivered ${result.delivered.toFixed(0)}/s of ${result.expected.toFixed(0)}/s, ` +
			`p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms; server main thread ${pct(result.serverMainCpu)} on CPU, ` +
			`${pct(result.serverMainWait)} waiting; clients ELU ${pct(result.clientElu)}; other CPU ${pct(result.otherCpu)}` +
			(result.drained ? '' : '; NOT DRAINED')
	);
	return result;
}

const progress = (line: string) => process.stderr.write(`  ${line}\n`);
const pct = (share: number) => `${(share * 100).toFixed(0)}%`;
