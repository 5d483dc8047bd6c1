import type { ServerRun } from './ladder.ts';
import type { StepResult } from './step.ts';

/** Plain-text tables: one per rate (ours | reference | ratio), then the saturation summary. */

interface Row {
	label: string;
	value: (s: StepResult) => number | string;
	/** Show ours / reference in the ratio column. */
	ratio?: boolean;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) : '-');
const pct = (n: number) => `${Math.round(n * 100)}%`;

const ROWS: Row[] = [
	{ label: 'sent/s', value: (s) => int(s.sent) },
	{ label: 'throttled/s (in-flight limit)', value: (s) => int(s.throttled) },
	{ label: 'delivered/s', value: (s) => s.delivered, ratio: true },
	{ label: 'expected/s (sent x 9)', value: (s) => int(s.expected) },
	{ label: 'messages received/s', value: (s) => int(s.messages) },
	{ label: 'latency p50 ms', value: (s) => s.p50, ratio: true },
	{ label: 'latency p99 ms', value: (s) => s.p99, ratio: true },
	{ label: 'latency max ms', value: (s) => ms(s.max) },
	{ label: 'server RSS MB end', value: (s) => s.serverRssMb, ratio: true },
	{ label: 'server RSS MB step peak', value: (s) => s.serverPeakRssMb, ratio: true },
	{ label: 'server CPU main thread', value: (s) => pct(s.serverMainCpu) },
	{ label: 'server CPU all threads', value: (s) => pct(s.serverCpu) },
	{ label: 'bench (clients) event loop', value: (s) => pct(s.clientElu) },
	{ label: 'echoes / dups / gaps / foreign', value: (s) => `${s.echoes}/${s.duplicates}/${s.gaps}/${s.foreign}` },
	{ label: 'drain after step ms', value: (s) => `${ms(s.drainMs)}${s.drained ? '' : ' (timed out)'}` }
];

function cell(row: Row, value: number | string): string {
	if (typeof value === 'string') return value;
	return row.label.includes('ms') ? ms(value) : int(value);
}

function ratio(a: number | string | undefined, b: number | string | undefined): string {
	if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '';
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
		out.push(`  ${'figure'.padEnd(32)}${ours.name.padStart(14)}${reference.name.padStart(14)}${'ratio'.padStart(9)}`);
		for (const row of ROWS) {
			const va = a ? row.value(a) : undefined;
			const vb = b ? row.value(b) : undefined;
			const fa = va === undefined ? 'not run' : cell(row, va);
			const fb = vb === undefined ? 'not run' : cell(row, vb);
			out.push(`  ${row.label.padEnd(32)}${fa.padStart(14)}${fb.padStart(14)}${(row.ratio ? ratio(va, vb) : '').padStart(9)}`);
		}
	}
	return out.join('\n');
}

const best = (run: ServerRun) => run.steps.reduce((m, s) => (s.delivered > m.delivered ? s : m));

/** The highest rate whose step kept up: nearly everything expected delivered and nothing throttled. */
const lastKeptUp = (run: ServerRun) =>
	run.steps.filter((s) => s.throttled === 0 && s.delivered >= 0.97 * s.expected && s.drained).at(-1);

export function formatSummary(ours: ServerRun, reference: ServerRun): string {
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
	for (const run of [ours, reference]) {
		lines.push(
			`  ${run.name}: connect+sync ${int(run.connectMs)} ms, RSS connected ${int(run.connectedRssMb)} MB, ` +
				`lifetime peak ${int(run.lifetimePeakRssMb)} MB, sockets lost ${run.socketsLost}, gaps ${run.gaps}`
		);
	}
	const fixed = ours.steps
		.filter((s) => s.perClient <= 2)
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
