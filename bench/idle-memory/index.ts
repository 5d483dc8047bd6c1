import { peakRssMb } from '../sync-relay/procStats.ts';
import { raiseFdLimit, type FdLimits } from './limits.ts';
import { ClientProcesses, type IdleStatus, type OpenResult } from './clients.ts';
import { readOptions, type IdleOptions } from './options.ts';
import { addressCount, sessionCount, socketCount, type Plan } from './plan.ts';
import { formatBig, formatCompare, problemsOf } from './report.ts';
import { startOurs, startReference, type IdleServer } from './servers.ts';
import { settledRss, type SettledRss } from './settle.ts';
import { openSynced } from './socket.ts';

export interface IdleRun {
	name: string;
	setup: string;
	plan: Plan;
	/** The plan asked for, when the open-file limit forced a smaller one (figures then extrapolate to it). */
	requested: Plan | null;
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
 * (@y/websocket-server) with the same sockets on the same docs, one after the other; then our server alone
 * with 100,000 doc subscriptions against the goal. Each run: a fresh server, a warm-up doc opened
 * and closed, settled RSS before, every socket opened and synced from client processes, settled RSS after.
 */
export async function runIdleMemory(): Promise<void> {
	const opts = readOptions();
	const runs: IdleRun[] = [];
	if (opts.parts.has('compare')) {
		const plan = planOf(opts.docs, opts.perDoc, opts);
		console.log(
			`Idle memory: ${socketCount(plan).toLocaleString('en-US')} sockets on ${plan.docs.toLocaleString('en-US')} docs ` +
				`(${plan.perDoc} per doc), each synced (y-websocket handshake both ways) and then idle; ours, then the reference`
		);
		const fitted = fit(plan, opts);
		const ours = await measure(() => startOurs(sessionCount(fitted.plan)), fitted, opts);
		runs.push(ours);
		const reference = await measure(startReference, fitted, opts);
		runs.push(reference);
		console.log(formatCompare(ours, reference));
	}
	if (opts.parts.has('big')) {
		const plan = planOf(opts.bigDocs, opts.bigPerDoc, opts);
		console.log(
			`\n${socketCount(plan).toLocaleString('en-US')} open doc subscriptions: ${plan.docs.toLocaleString('en-US')} docs × ` +
				`${plan.perDoc} sockets, our server alone; goal: RSS under ${opts.goalMib.toLocaleString('en-US')} MiB`
		);
		const fitted = fit(plan, opts);
		const big = await measure(() => startOurs(sessionCount(fitted.plan)), fitted, opts);
		runs.push(big);
		console.log(formatBig(big, opts.goalMib));
	}
	const problems = runs.flatMap(problemsOf);
	if (problems.length > 0) throw new Error(`idle-memory: not every socket opened and stayed open:\n  ${problems.join('\n  ')}`);
}

function planOf(docs: number, perDoc: number, opts: IdleOptions): Plan {
	return { docs, perDoc, perSession: opts.perSession, addresses: addressCount(docs * perDoc) };
}

interface Fitted {
	plan: Plan;
	requested: Plan | null;
	fdLimits: FdLimits;
}

/**
 * The server holds one descriptor per socket. Raises the open-file limit that the server and client processes
 * will inherit; where it cannot be raised far enough (a container without CAP_SYS_RESOURCE keeps its hard
 * limit), runs as many whole docs as fit instead and says so: the report then extrapolates per socket.
 */
function fit(plan: Plan, opts: IdleOptions): Fitted {
	const wanted = socketCount(plan) + FD_MARGIN;
	const fdLimits = raiseFdLimit(wanted);
	if (fdLimits.soft >= wanted) return { plan, requested: null, fdLimits };
	const docs = Math.floor((fdLimits.soft - FD_MARGIN) / plan.perDoc);
	if (docs < 1) throw new Error(`the open-file limit (${fdLimits.soft}) leaves no room for one doc of ${plan.perDoc} sockets`);
	const scaled = planOf(docs, plan.perDoc, opts);
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
		process.stderr.write(
			`${server.name}: RSS ${before.mib.toFixed(1)} MiB before; opening ${socketCount(plan).toLocaleString('en-US')} sockets ` +
				`from ${clients.processes} client process(es)\n`
		);
		const open = await clients.open(server.urlTemplate, server.cookies, server.origin);
		process.stderr.write(
			`${server.name}: ${open.opened.toLocaleString('en-US')} open in ${(open.ms / 1000).toFixed(1)} s; waiting for RSS to settle\n`
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
 * Opens and closes one doc's worth of sockets on a doc outside the measured ones, so that "before" already
 * includes what the first socket and the first doc load once (modules, JIT, store statements), not per socket.
 */
async function warmUp(server: IdleServer, plan: Plan, opts: IdleOptions): Promise<void> {
	const headers: Record<string, string> = {};
	if (server.cookies.length > 0) headers.cookie = server.cookies[0];
	if (server.origin) headers.origin = server.origin;
	const url = server.urlTemplate.replace('{doc}', 'warmup');
	const sockets = await Promise.all(
		Array.from({ length: Math.min(plan.perDoc, 10) }, () => openSynced(url, { headers, timeoutMs: opts.timeoutMs }))
	);
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
