import type { ServerRun } from './ladder.ts';
import { BUSY_ELSEWHERE_LIMIT } from './quiet.ts';
import type { StepResult } from './step.ts';

/** Above this event loop utilization the bench process is close to being the bottleneck itself. */
const CLIENT_BOUND_ELU = 0.9;

/** Plain-text tables: one per rate (ours | reference | ratio), then the saturation summary. */

interface Row {
	label: string;
	value: (s: StepResult) => number;
	format: (n: number) => string;
	/** Show ours / reference in the ratio column. */
	ratio?: boolean;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) : '-');
const pct = (n: number) => `${Math.round(n * 100)}%`;

const ROWS: Row[] = [
	{ label: 'sent/s', value: (s) => s.sent, format: int },
	{ label: 'throttled/s (in-flight limit)', value: (s) => s.throttled, format: int },
	{ label: 'delivered/s', value: (s) => s.delivered, format: int, ratio: true },
	{ label: 'expected/s (sent x 9)', value: (s) => s.expected, format: int },
	{ label: 'update messages received/s', value: (s) => s.messages, format: int },
	{ label: 'acks (step 1) received/s', value: (s) => s.acks, format: int },
	{ label: 'server store commits/s', value: (s) => s.commits, format: int },
	{ label: 'server updates per commit', value: (s) => s.updatesPerCommit, format: ms },
	{ label: 'latency p50 ms', value: (s) => s.p50, format: ms, ratio: true },
	{ label: 'latency p99 ms', value: (s) => s.p99, format: ms, ratio: true },
	{ label: 'latency max ms', value: (s) => s.max, format: ms },
	{ label: 'server RSS MB end', value: (s) => s.serverRssMb, format: int, ratio: true },
	{ label: 'server RSS MB step peak', value: (s) => s.serverPeakRssMb, format: int, ratio: true },
	{ label: 'server CPU main thread', value: (s) => s.serverMainCpu, format: pct },
	{ label: 'server main thread waiting for CPU', value: (s) => s.serverMainWait, format: pct },
	{ label: 'server main thread us per delivery', value: (s) => (s.serverMainCpu * 1e6) / s.delivered, format: ms, ratio: true },
	{ label: 'server CPU all threads', value: (s) => s.serverCpu, format: pct },
	{ label: 'clients CPU (bench process)', value: (s) => s.clientCpu, format: pct },
	{ label: 'clients event loop busy', value: (s) => s.clientElu, format: pct },
	{ label: 'clients main thread waiting for CPU', value: (s) => s.clientMainWait, format: pct },
	{ label: 'other CPU on the machine', value: (s) => s.otherCpu, format: pct },
	{ label: 'echoes (own update sent back)', value: (s) => s.echoes, format: int },
	{ label: 'duplicates / gaps / foreign', value: (s) => s.duplicates + s.gaps + s.foreign, format: int },
	{ label: 'drain after step ms', value: (s) => s.drainMs, format: ms }
];

function ratio(a: number | undefined, b: number | undefined): string {
	if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '';
	return `${(a / b).toFixed(2)}x`;
}

export function formatStepTables(ours: ServerRun, reference: ServerRun): string {
	const rates = [...new Set([...ours.steps, ...reference.steps].map((s) => s.perClient))].sort((a, b) => a - b);
	const out: string[] = [];
	for (const rate of rates) {
		const a = ours.steps.find((s) => s.perClient === rate);
		const b = reference.steps.find((s) => s.perClient === rate);
		const offered = (a ?? b)?.offered ?? 0;
		out.push(`\n${rate} update/s per client (${int(offered)} updates/s offered)`);
		out.push(`  ${'figure'.padEnd(36)}${ours.name.padStart(14)}${reference.name.padStart(14)}${'ratio'.padStart(9)}`);
		for (const row of ROWS) {
			const va = a ? row.value(a) : undefined;
			const vb = b ? row.value(b) : undefined;
			const fa = va === undefined ? 'not run' : row.format(va);
			const fb = vb === undefined ? 'not run' : row.format(vb);
			out.push(`  ${row.label.padEnd(36)}${fa.padStart(14)}${fb.padStart(14)}${(row.ratio ? ratio(va, vb) : '').padStart(9)}`);
		}
	}
	return out.join('\n');
}

const best = (run: ServerRun) => run.steps.reduce((m, s) => (s.delivered > m.delivered ? s : m));

/** The highest rate whose step kept up: nearly everything expected delivered and nothing throttled. */
const lastKeptUp = (run: ServerRun) =>
	run.steps.filter((s) => s.throttled <= 0.01 * s.offered && s.delivered >= 0.97 * s.expected && s.drained).at(-1);

export function formatSummary(ours: ServerRun, reference: ServerRun, fixedRates: number[]): string {
	const a = best(ours);
	const b = best(reference);
	const lines = [
		'\nSaturation (step with the most delivered/s):',
		`  ${ours.name}: ${int(a.delivered)} delivered/s at ${a.perClient}/s per client, p50 ${ms(a.p50)} ms, p99 ${ms(a.p99)} ms, RSS ${int(a.serverRssMb)} MB`,
		`  ${reference.name}: ${int(b.delivered)} delivered/s at ${b.perClient}/s per client, p50 ${ms(b.p50)} ms, p99 ${ms(b.p99)} ms, RSS ${int(b.serverRssMb)} MB`
	];
	const ka = lastKeptUp(ours);
	const kb = lastKeptUp(reference);
	if (ka && kb) {
		lines.push(
			`  highest rate kept up with: ${ours.name} ${ka.perClient}/s (${int(ka.delivered)}/s, p50 ${ms(ka.p50)} ms), ` +
				`${reference.name} ${kb.perClient}/s (${int(kb.delivered)}/s, p50 ${ms(kb.p50)} ms)`
		);
	}
	const shared = [ours, reference].flatMap((run) =>
		run.steps.filter((s) => s.otherCpu > BUSY_ELSEWHERE_LIMIT).map((s) => `${run.name} @${s.perClient}/s (${pct(s.otherCpu)})`)
	);
	if (shared.length > 0)
		lines.push(`  WARNING: other processes used the CPU during ${shared.join(', ')}; those figures are not clean`);
	const clientBound = [ours, reference].flatMap((run) =>
		run.steps.filter((s) => s.clientElu > CLIENT_BOUND_ELU).map((s) => `${run.name} @${s.perClient}/s (${pct(s.clientElu)})`)
	);
	if (clientBound.length > 0) {
		lines.push(
			`  NOTE: the clients' event loop was nearly saturated during ${clientBound.join(', ')}; there the clients, not only the server, limit the figures`
		);
	}
	const stuck = [ours, reference].flatMap((run) =>
		run.steps.filter((s) => !s.drained).map((s) => `${run.name} @${s.perClient}/s`)
	);
	if (stuck.length > 0) lines.push(`  WARNING: updates still missing 20 s after sending stopped: ${stuck.join(', ')}`);
	for (const run of [ours, reference]) {
		lines.push(
			`  ${run.name}: connect+sync ${int(run.connectMs)} ms, RSS connected ${int(run.connectedRssMb)} MB, ` +
				`lifetime peak ${int(run.lifetimePeakRssMb)} MB, sockets lost ${run.socketsLost}, gaps ${run.gaps}`
		);
	}
	const fixed = ours.steps
		.filter((s) => fixedRates.includes(s.perClient))
		.map((s) => {
			const r = reference.steps.find((x) => x.perClient === s.perClient);
			return r ? `${s.perClient}/s p50 ${ratio(s.p50, r.p50)}` : '';
		})
		.filter(Boolean)
		.join(', ');
	lines.push(
		`SUMMARY saturation delivered/s ratio ${ratio(a.delivered, b.delivered)} (target >= 1.50x); ` +
			`p50 ratio at saturation ${ratio(a.p50, b.p50)} (target <= 0.50x); ${fixed}`
	);
	return lines.join('\n');
}
