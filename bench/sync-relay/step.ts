import { performance } from 'node:perf_hooks';
import type { Fleet } from './fleet.ts';
import { clockTicks, machineTicks, mainThreadSched, processCpuMs, rssMb } from './procStats.ts';
import type { RelayServer } from './servers/types.ts';

export interface StepTiming {
	warmupMs: number;
	measureMs: number;
	drainTimeoutMs: number;
}

/** The figures of one rate on one server; rates are per second over the measuring window. */
export interface StepResult {
	perClient: number;
	offered: number;
	sent: number;
	throttled: number;
	delivered: number;
	expected: number;
	messages: number;
	acks: number;
	/** Store commits per second and updates per commit (NaN for a server that does not report them). */
	commits: number;
	updatesPerCommit: number;
	p50: number;
	p99: number;
	max: number;
	serverRssMb: number;
	serverPeakRssMb: number;
	/** CPU in cores: the server (all threads), its main thread alone, and the bench process (all clients). */
	serverCpu: number;
	serverMainCpu: number;
	clientCpu: number;
	/** Share of wall time the main thread was runnable but waited for a core: the server's and the bench's. */
	serverMainWait: number;
	clientMainWait: number;
	/** Event loop utilization of the bench process: near 1 means the clients, not the server, set the pace. */
	clientElu: number;
	/** CPU the rest of the machine used meanwhile (other processes, kernel threads), in cores. */
	otherCpu: number;
	echoes: number;
	duplicates: number;
	gaps: number;
	foreign: number;
	/** How long the backlog took to arrive after sending stopped, and whether it all did. */
	drainMs: number;
	drained: boolean;
}

const RSS_SAMPLE_MS = 250;

/** Sends at `perClient` updates per second per client: warm-up, one measuring window, then a drain. */
export async function runStep(fleet: Fleet, server: RelayServer, perClient: number, timing: StepTiming): Promise<StepResult> {
	const { docs, perDoc } = fleet.layout;
	fleet.start(perClient);
	await sleep(timing.warmupMs);

	let peakRss = rssMb(server.pid);
	const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(server.pid))), RSS_SAMPLE_MS);
	// Asked before the window opens and after it closes: a busy server answers late, and that wait must
	// not count as window time in which nothing was counted.
	const commits0 = await server.commitStats?.();
	const commits0At = performance.now();
	const before = {
		server: processCpuMs(server.pid),
		main: mainThreadSched(server.pid),
		clientMain: mainThreadSched('self'),
		client: process.cpuUsage(),
		elu: performance.eventLoopUtilization(),
		machine: machineTicks(),
		at: performance.now()
	};
	fleet.tally.openWindow();
	await sleep(timing.measureMs);
	const counts = fleet.tally.closeWindow();
	const ms = performance.now() - before.at;
	const seconds = ms / 1000;
	const elu = performance.eventLoopUtilization(before.elu);
	const client = process.cpuUsage(before.client);
	const machine = machineTicks();
	const serverCpu = (processCpuMs(server.pid) - before.server) / ms;
	const main = mainThreadSched(server.pid);
	const clientMain = mainThreadSched('self');
	const serverMainCpu = (main.cpuMs - before.main.cpuMs) / ms;
	const clientCpu = (client.user + client.system) / 1000 / ms;
	const machineCpu = (machine.busy - before.machine.busy) / clockTicks() / seconds;
	const commits1 = await server.commitStats?.();
	const commitSeconds = (performance.now() - commits0At) / 1000;
	clearInterval(sampler);
	const serverRss = rssMb(server.pid);
	peakRss = Math.max(peakRss, serverRss);

	fleet.stop();
	const drainStart = performance.now();
	const drained = await fleet.drain(timing.drainTimeoutMs);
	const drainMs = performance.now() - drainStart;

	const [p50, p99, max] = counts.latencies.percentiles(50, 99, 100);
	return {
		perClient,
		offered: docs * perDoc * perClient,
		sent: counts.sent / seconds,
		throttled: counts.throttled / seconds,
		delivered: counts.delivered / seconds,
		expected: (counts.sent * (perDoc - 1)) / seconds,
		messages: counts.messages / seconds,
		acks: counts.acks / seconds,
		commits: commits0 && commits1 ? (commits1.commits - commits0.commits) / commitSeconds : NaN,
		updatesPerCommit: commits0 && commits1 ? (commits1.updates - commits0.updates) / (commits1.commits - commits0.commits) : NaN,
		p50,
		p99,
		max,
		serverRssMb: serverRss,
		serverPeakRssMb: peakRss,
		serverCpu,
		serverMainCpu,
		clientCpu,
		serverMainWait: (main.waitMs - before.main.waitMs) / ms,
		clientMainWait: (clientMain.waitMs - before.clientMain.waitMs) / ms,
		clientElu: elu.utilization,
		otherCpu: Math.max(0, machineCpu - serverCpu - clientCpu),
		echoes: counts.echoes,
		duplicates: counts.duplicates,
		gaps: counts.gaps,
		foreign: counts.foreign,
		drainMs,
		drained
	};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
