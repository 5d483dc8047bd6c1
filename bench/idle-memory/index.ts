import { peakRssMb } from '../sync-relay/procStats.ts';
import { raiseFdLimit, type FdLimits } from './limits.ts';
import { ClientProcesses, type IdleStatus, type OpenResult } from './clients.ts';
import { MuxClient } from './muxSocket.ts';
import { readOptions, type IdleOptions } from './options.ts';
import {
	addressCount,
	muxAddressCount,
	sessionCount,
	socketCount,
	subscriptionCount,
	type MuxPlan,
	type Plan,
	type SocketPlan
} from './plan.ts';
import { formatBig, formatCompare, problemsOf } from './report.ts';
import { startOurs, startReference, type IdleServer } from './servers.ts';
import { settledRss, type SettledRss } from './settle.ts';
import { openSynced } from './socket.ts';

export interface IdleRun {
	name: string;
	setup: string;
	plan: Plan;
	/** The plan asked for, when the open-file limit forced a smaller one (figures then extrapolate to it). */
	requested: SocketPlan | null;
	fdLimits: FdLimits;
	open: OpenResult;
	before: SettledRss;
	after: SettledRss;
	peakMib: number;
	idle: IdleStatus;
}

/** Descriptors a server needs beyond one per socket (store, stdio, listening socket, warm-up…). */
const FD_MARGIN = 512;

/**
 * Idle memory: what open, synced, idle sockets cost the server. First our server beside the reference
 * (@y/websocket-server) with the same sockets on the same docs, one after the other (and a baseline checkout's
 * server, with BENCH_IDLE_BASELINE); then our server alone with 100,000 doc subscriptions against the goal,
 * one socket per subscription (`big`) and as channels of multiplexed sockets (`mux`). Each run: a fresh server, a
 * warm-up doc opened and closed, settled RSS before, every subscription opened and synced from client processes,
 * settled RSS after.
 */
export async function runIdleMemory(): Promise<void> {
	const opts = readOptions();
	const runs: IdleRun[] = [];
	if (opts.parts.has('compare')) {
		const plan = socketPlan(opts.docs, opts.perDoc, opts);
		const others = opts.baseline ? 'ours, the baseline, then the reference' : 'ours, then the reference';
		console.log(
			`Idle memory: ${count(socketCount(plan))} sockets on ${count(plan.docs)} docs ` +
				`(${plan.perDoc} per doc), each synced (y-websocket handshake both ways) and then idle; ${others}`
		);
		const fitted = fit(plan, opts);
		const sessions = sessionCount(fitted.plan);
		const ours = await measure(() => startOurs(sessions), fitted, opts);
		runs.push(ours);
		const baseline = opts.baseline ? await measure(() => startOurs(sessions, opts.baseline ?? undefined), fitted, opts) : null;
		if (baseline) runs.push(baseline);
		const reference = await measure(startReference, fitted, opts);
		runs.push(reference);
		console.log(formatCompare(ours, reference, baseline));
	}
	if (opts.parts.has('big')) {
		const plan = socketPlan(opts.bigDocs, opts.bigPerDoc, opts);
		console.log(
			`\n${count(subscriptionCount(plan))} open doc subscriptions: ${count(plan.docs)} docs × ` +
				`${plan.perDoc} sockets, our server alone; goal: RSS under ${count(opts.goalMib)} MiB`
		);
		const fitted = fit(plan, opts);
		const big = await measure(() => startOurs(sessionCount(fitted.plan)), fitted, opts);
		runs.push(big);
		console.log(formatBig(big, opts.goalMib));
	}
	if (opts.parts.has('mux')) {
		const plan = muxPlan(opts.bigDocs, opts.bigPerDoc, opts);
		console.log(
			`\n${count(subscriptionCount(plan))} open doc subscriptions over multiplexed sockets (GET /sync): ` +
				`${count(plan.docs)} docs × ${plan.perDoc} channels, ${count(socketCount(plan))} sockets of at most ` +
				`${plan.channelsPerSocket} channels, one session each; our server alone; goal: RSS under ${count(opts.goalMib)} MiB`
		);
		const fitted = fit(plan, opts);
		const mux = await measure(() => startOurs(sessionCount(fitted.plan)), fitted, opts);
		runs.push(mux);
		console.log(formatBig(mux, opts.goalMib));
	}
	const problems = runs.flatMap(problemsOf);
	if (problems.length > 0) throw new Error(`idle-memory: not every socket opened and stayed open:\n  ${problems.join('\n  ')}`);
}

const count = (n: number) => n.toLocaleString('en-US');

function socketPlan(docs: number, perDoc: number, opts: IdleOptions): SocketPlan {
	return { kind: 'sockets', docs, perDoc, perSession: opts.perSession, addresses: addressCount(docs * perDoc) };
}

function muxPlan(docs: number, perDoc: number, opts: IdleOptions): MuxPlan {
	const sockets = Math.ceil((docs * perDoc) / opts.muxChannels);
	return { kind: 'mux', docs, perDoc, channelsPerSocket: opts.muxChannels, addresses: muxAddressCount(sockets) };
}

interface Fitted {
	plan: Plan;
	requested: SocketPlan | null;
	fdLimits: FdLimits;
}

/**
 * The server holds one descriptor per socket. Raises the open-file limit that the server and client processes
 * will inherit; where it cannot be raised far enough (a container without CAP_SYS_RESOURCE keeps its hard
 * limit), runs as many whole docs as fit instead and says so: the report then extrapolates per socket.
 * A multiplexed plan needs a descriptor per socket only, not per channel: it is never scaled down.
 */
function fit(plan: Plan, opts: IdleOptions): Fitted {
	const wanted = socketCount(plan) + FD_MARGIN;
	const fdLimits = raiseFdLimit(wanted);
	if (fdLimits.soft >= wanted) return { plan, requested: null, fdLimits };
	if (plan.kind === 'mux') {
		throw new Error(`the open-file limit (${fdLimits.soft}) leaves no room for ${socketCount(plan)} multiplexed sockets`);
	}
	const docs = Math.floor((fdLimits.soft - FD_MARGIN) / plan.perDoc);
	if (docs < 1) throw new Error(`the open-file limit (${fdLimits.soft}) leaves no room for one doc of ${plan.perDoc} sockets`);
	const scaled = socketPlan(docs, plan.perDoc, opts);
	process.stderr.write(
		`idle-memory: open-file limit ${fdLimits.soft} (hard ${fdLimits.hard}) and it cannot be raised here: ` +
			`running ${socketCount(scaled)} sockets on ${docs} docs instead of ${socketCount(plan)}\n`
	);
	return { plan: scaled, requested: plan, fdLimits };
}

async function measure(start: () => Promise<IdleServer>, fitted: Fitted, opts: IdleOptions): Promise<IdleRun> {
	const { plan } = fitted;
	const clients = new ClientProcesses(plan, {
		perProcess: Math.min(opts.perProcess, fitted.fdLimits.soft - FD_MARGIN),
		concurrency: opts.concurrency,
		timeoutMs: opts.timeoutMs
	});
	let server: IdleServer | null = null;
	const interrupted = () => {
		process.stderr.write('idle-memory: interrupted, stopping the server and client processes\n');
		void Promise.allSettled([clients.close(), server?.stop()]).then(() => process.exit(130));
	};
	process.once('SIGINT', interrupted);
	try {
		server = await start();
		process.stderr.write(`${server.name}: warming up\n`);
		await warmUp(server, plan, opts);
		const before = await settledRss(server.pid, opts.settleS);
		const what =
			plan.kind === 'mux'
				? `${count(subscriptionCount(plan))} channels on ${count(socketCount(plan))} sockets`
				: `${count(socketCount(plan))} sockets`;
		process.stderr.write(
			`${server.name}: RSS ${before.mib.toFixed(1)} MiB before; opening ${what} from ${clients.processes} client process(es)\n`
		);
		let open: OpenResult;
		if (plan.kind === 'mux') {
			if (!server.mux) throw new Error(`${server.name} has no multiplexed endpoint`);
			open = await clients.open(server.mux.url, server.mux.docTemplate, server.cookies, server.origin);
		} else {
			open = await clients.open(server.urlTemplate, null, server.cookies, server.origin);
		}
		process.stderr.write(
			`${server.name}: ${count(open.opened)} open in ${(open.ms / 1000).toFixed(1)} s; waiting for RSS to settle\n`
		);
		const after = await settledRss(server.pid, opts.settleS);
		const idle = await clients.status();
		const peakMib = peakRssMb(server.pid);
		return { ...fitted, name: server.name, setup: server.setup, open, before, after, peakMib, idle };
	} finally {
		process.off('SIGINT', interrupted);
		await clients.close();
		await server?.stop();
	}
}

/**
 * Opens and closes one doc's worth of sockets (or channels of one multiplexed socket) on a doc outside the
 * measured ones, so that "before" already includes what the first socket and the first doc load once (modules,
 * JIT, store statements), not per socket.
 */
async function warmUp(server: IdleServer, plan: Plan, opts: IdleOptions): Promise<void> {
	const headers: Record<string, string> = {};
	if (server.cookies.length > 0) headers.cookie = server.cookies[0];
	if (server.origin) headers.origin = server.origin;
	const n = Math.min(plan.perDoc, 10);
	if (plan.kind === 'mux') {
		if (!server.mux) throw new Error(`${server.name} has no multiplexed endpoint`);
		const mux = await MuxClient.open(server.mux.url, { headers, timeoutMs: opts.timeoutMs });
		const doc = server.mux.docTemplate.replace('{doc}', 'warmup');
		await Promise.all(Array.from({ length: n }, (_, k) => mux.openChannel(k + 1, doc, opts.timeoutMs)));
		await mux.close();
		return;
	}
	const url = server.urlTemplate.replace('{doc}', 'warmup');
	const sockets = await Promise.all(Array.from({ length: n }, () => openSynced(url, { headers, timeoutMs: opts.timeoutMs })));
	await Promise.all(
		sockets.map(
			(socket) =>
				new Promise<void>((resolve) => {
					const kill = setTimeout(() => socket.terminate(), 2000);
					socket.once('close', () => {
						clearTimeout(kill);
						resolve();
					});
					socket.close(1000, 'warm-up done');
				})
		)
	);
}
