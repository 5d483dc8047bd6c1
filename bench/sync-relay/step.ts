import { performance } from 'node:perf_hooks';
import type { Fleet } from './fleet.ts';
import { mainThreadCpuMs, processCpuMs, rssMb } from './procStats.ts';
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
	p50: number;
	p99: number;
	max: number;
	serverRssMb: number;
	serverPeakRssMb: number;
	/** Server CPU as a share of one core: all threads, and the main (event loop) thread alone. */
	serverCpu: number;
	serverMainCpu: number;
	/** Event loop utilization of the bench process, which runs all the clients. */
	clientElu: number;
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
	const cpu0 = processCpuMs(server.pid);
	const main0 = mainThreadCpuMs(server.pid);
	const elu0 = performance.eventLoopUtilization();
	const t0 = performance.now();
	fleet.tally.openWindow();
	await sleep(timing.measureMs);
	const counts = fleet.tally.closeWindow();
	const seconds = (performance.now() - t0) / 1000;
	const elu = performance.eventLoopUtilization(elu0);
	const serverCpu = (processCpuMs(server.pid) - cpu0) / 1000 / seconds;
	const serverMainCpu = (mainThreadCpuMs(server.pid) - main0) / 1000 / seconds;
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
		p50,
		p99,
		max,
		serverRssMb: serverRss,
		serverPeakRssMb: peakRss,
		serverCpu,
		serverMainCpu,
		clientElu: elu.utilization,
		echoes: counts.echoes,
		duplicates: counts.duplicates,
		gaps: counts.gaps,
		foreign: counts.foreign,
		drainMs,
		drained
	};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
