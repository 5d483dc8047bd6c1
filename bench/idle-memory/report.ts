import type { IdleRun } from './index.ts';
import { addressRange, sessionCount, socketCount, subscriptionCount, type Plan } from './plan.ts';

/**
 * Plain-text tables like the other benchmarks': ours beside the reference (and a baseline checkout), then the
 * 100,000-subscription runs. Rows say "sockets" for sockets of `/sync/<doc>` and "channels" for channels of
 * multiplexed sockets: either way, one per doc subscription.
 */

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const one = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const plural = (n: number, word: string) => `${int(n)} ${word}${n === 1 ? '' : 's'}`;
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '');

/** The figure for our server before the hardening: MiB added by 10,000 sockets on 1,000 docs. */
const PREVIOUS_MIB_PER_10K = 31;

const added = (r: IdleRun) => r.after.mib - r.before.mib;
const per10k = (r: IdleRun) => (r.open.opened > 0 ? (added(r) * 10_000) / r.open.opened : NaN);
const settled = (s: IdleRun['before']) => `${s.settled ? 'yes' : 'NO'} (${Math.round(s.waitedS)} s)`;
const reasons = (r: Record<string, number>) =>
	Object.entries(r)
		.sort((a, b) => b[1] - a[1])
		.map(([why, n]) => `${int(n)} × ${why}`);

interface Row {
	/** Says `socket(s)`; a multiplexed run's table says `channel(s)` instead. */
	label: string;
	value: (r: IdleRun) => number | string;
	format?: (n: number) => string;
	ratio?: boolean;
}

const ROWS: Row[] = [
	{ label: 'sockets opened and synced', value: (r) => r.open.opened, format: int },
	{ label: 'sockets failed / not attempted', value: (r) => `${int(r.open.failed)} / ${int(r.open.notAttempted)}` },
	{ label: 'sockets lost while idle', value: (r) => r.idle.lost, format: int },
	{ label: 'time to open all s', value: (r) => r.open.ms / 1000, format: one, ratio: true },
	{ label: 'server RSS MiB before', value: (r) => r.before.mib, format: one, ratio: true },
	{ label: 'server RSS MiB after (idle)', value: (r) => r.after.mib, format: one, ratio: true },
	{ label: 'server RSS MiB added', value: added, format: one, ratio: true },
	{ label: 'added MiB per 10,000 sockets', value: per10k, format: one, ratio: true },
	{ label: 'added KiB per socket', value: (r) => (per10k(r) * 1024) / 10_000, format: one },
	{ label: 'server peak RSS MiB (VmHWM)', value: (r) => r.peakMib, format: one, ratio: true },
	{ label: 'RSS settled before (waited)', value: (r) => settled(r.before) },
	{ label: 'RSS settled after (waited)', value: (r) => settled(r.after) }
];

const labelFor = (row: Row, plan: Plan) => (plan.kind === 'mux' ? row.label.replace('socket', 'channel') : row.label);

/** What carried a multiplexed run's channels. */
const MUX_ROWS: Row[] = [
	{ label: 'multiplexed sockets', value: (r) => socketCount(r.plan), format: int },
	{ label: 'channels per socket (at most)', value: (r) => (r.plan.kind === 'mux' ? r.plan.channelsPerSocket : NaN), format: int },
	{ label: 'sessions (one per socket)', value: (r) => sessionCount(r.plan), format: int },
	{ label: 'client source addresses', value: (r) => r.plan.addresses, format: int }
];

function cell(row: Row, r: IdleRun): { text: string; n: number } {
	const v = row.value(r);
	if (typeof v === 'string') return { text: v, n: NaN };
	return { text: (row.format ?? int)(v), n: v };
}

function details(r: IdleRun): string[] {
	const out = [`  ${r.name}: ${r.setup}`];
	const failed = reasons(r.open.reasons);
	if (failed.length > 0) out.push(`  ${r.name}: sockets that failed to open: ${failed.join('; ')}`);
	const lost = reasons(r.idle.lostReasons);
	if (lost.length > 0) out.push(`  ${r.name}: sockets the server closed while idle (code reason): ${lost.join('; ')}`);
	if (!r.before.settled || !r.after.settled)
		out.push(`  ${r.name}: RSS was still moving when the wait ran out; the last reading is shown`);
	return out;
}

function clientLine(r: IdleRun): string {
	const p = r.plan;
	const processes = r.open.processes === 1 ? '1 client process' : `${int(r.open.processes)} client processes`;
	if (p.kind === 'mux') {
		return (
			`  clients: ${processes}, source addresses ${addressRange(p)}, ${plural(socketCount(p), 'socket')} of GET /sync ` +
			`with at most ${p.channelsPerSocket} channels each (distinct docs), ${plural(p.perDoc, 'channel')} per doc from as many ` +
			`sockets; our server: one session per socket (${plural(sessionCount(p), 'session')}); frames built with ` +
			`syncProtocol.ts + y-protocols messages, no Y.Doc per channel`
		);
	}
	return (
		`  clients: ${processes}, source addresses ${addressRange(p)}, ${plural(p.perDoc, 'socket')} per doc; our server: ` +
		`${plural(sessionCount(p), 'session')} of at most ${p.perSession} sockets; raw ws + y-protocols messages, no Y.Doc per socket`
	);
}

/** Ours beside the reference, and beside the baseline checkout's server when there is one (BENCH_IDLE_BASELINE). */
export function formatCompare(ours: IdleRun, reference: IdleRun, baseline: IdleRun | null): string {
	const runs = baseline ? [ours, baseline, reference] : [ours, reference];
	const width = Math.max(14, ...runs.map((r) => r.name.length + 2));
	const ratios: { label: string; other: IdleRun }[] = [{ label: 'ours/ref', other: reference }];
	if (baseline) ratios.push({ label: 'ours/base', other: baseline });
	const out = [
		'',
		`${int(socketCount(ours.plan))} idle sockets on ${int(ours.plan.docs)} docs; RSS = VmRSS of the server process once it stops moving`,
		`  ${'figure'.padEnd(34)}${runs.map((r) => r.name.padStart(width)).join('')}${ratios.map((q) => q.label.padStart(11)).join('')}`
	];
	for (const row of ROWS) {
		const cells = runs.map((r) => cell(row, r));
		const a = cell(row, ours);
		const rs = ratios.map((q) => (row.ratio ? ratio(a.n, cell(row, q.other).n) : '').padStart(11)).join('');
		out.push(`  ${row.label.padEnd(34)}${cells.map((c) => c.text.padStart(width)).join('')}${rs}`);
	}
	if (ours.requested) {
		out.push(
			`  measured on ${int(ours.plan.docs)} docs, not ${int(ours.requested.docs)}: the open-file limit is ${int(ours.fdLimits.soft)} ` +
				`and cannot be raised here (no CAP_SYS_RESOURCE); per-10,000 figures scale`
		);
	}
	out.push(`  previous measurement (issue 6): ~${PREVIOUS_MIB_PER_10K} MiB added per 10,000 sockets on 1,000 docs (our server)`);
	out.push(clientLine(ours), ...runs.flatMap(details));
	return out.join('\n');
}

export function formatBig(run: IdleRun, goalMib: number): string {
	const out = [`  ${'figure'.padEnd(34)}${run.name.padStart(14)}`];
	const line = (label: string, text: string) => out.push(`  ${label.padEnd(34)}${text.padStart(14)}`);
	if (run.plan.kind === 'mux') for (const row of MUX_ROWS) line(row.label, cell(row, run).text);
	for (const row of ROWS) line(labelFor(row, run.plan), cell(row, run).text);
	let idle = run.after.mib;
	let peak = run.peakMib;
	const target = subscriptionCount(run.requested ?? run.plan);
	if (run.requested && run.open.opened > 0) {
		// Docs scale with the sockets (same sockets per doc), so the per-socket cost carries both.
		const factor = target / run.open.opened;
		idle = run.before.mib + added(run) * factor;
		peak = run.before.mib + (run.peakMib - run.before.mib) * factor;
		line(`extrapolated to ${int(target)}: RSS MiB`, one(idle));
		line(`extrapolated to ${int(target)}: peak MiB`, one(peak));
		line(`extrapolated to ${int(target)}: open s`, one((run.open.ms / 1000) * factor));
	}
	const holds = idle < goalMib && peak < goalMib;
	const measured = run.requested ? ' (extrap.)' : run.open.opened === target ? ` (${int(target)})` : '';
	line(`goal: RSS < ${int(goalMib)} MiB${measured}`, holds ? 'holds' : 'MISSED');
	if (run.requested) {
		out.push(
			`  measured ${int(run.open.opened)} sockets on ${int(run.plan.docs)} docs, not ${int(target)}: the server holds one descriptor ` +
				`per socket and this machine's open-file limit is ${int(run.fdLimits.soft)} (hard ${int(run.fdLimits.hard)}); raising the hard ` +
				`limit takes CAP_SYS_RESOURCE, which this container lacks. The ${int(target)} rows extrapolate linearly from the measured ` +
				`cost per socket (before + added × ${one(target / Math.max(1, run.open.opened))}).`
		);
	}
	out.push(clientLine(run), ...details(run));
	return out.join('\n');
}

/**
 * Everything that makes a run's figures incomplete: sockets (or channels) that did not open or did not stay open,
 * and any the clients no longer hold.
 */
export function problemsOf(r: IdleRun): string[] {
	const out: string[] = [];
	const what = r.plan.kind === 'mux' ? 'channels' : 'sockets';
	const name = r.plan.kind === 'mux' ? `${r.name} (multiplexed)` : r.name;
	if (r.open.failed > 0 || r.open.notAttempted > 0) {
		out.push(
			`${name}: ${int(r.open.failed)} of ${int(r.open.sockets)} ${what} failed to open (${int(r.open.notAttempted)} not attempted): ` +
				reasons(r.open.reasons).join('; ')
		);
	}
	if (r.idle.lost > 0)
		out.push(`${name}: ${int(r.idle.lost)} ${what} closed while idle: ${reasons(r.idle.lostReasons).join('; ')}`);
	if (r.idle.open + r.idle.lost !== r.open.opened)
		out.push(`${name}: ${int(r.open.opened)} ${what} opened, ${int(r.idle.open)} open and ${int(r.idle.lost)} lost when idle`);
	return out;
}
