/**
 * Reads a Chromium trace (BENCH_BROWSER_TRACE) and prints, per process and thread, the busiest event names by self
 * time (an event's duration less its children's on the same thread): where the native work went.
 *
 *   npx tsx bench/tools/trace-top.ts <trace.json> [rows]
 */
import fs from 'node:fs';

interface TraceEvent {
	name: string;
	ph: string;
	pid: number;
	tid: number;
	ts: number;
	dur?: number;
	args?: { name?: string };
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: trace-top.ts <trace.json> [rows]');
const rows = Number(rowsArg ?? 15);
const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
const events = Array.isArray(raw) ? raw : raw.traceEvents;

const threadNames = new Map<string, string>();
const processNames = new Map<number, string>();
for (const e of events) {
	if (e.ph !== 'M') continue;
	if (e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args?.name ?? '?');
	if (e.name === 'process_name') processNames.set(e.pid, e.args?.name ?? '?');
}

// Complete events and begin/end pairs as spans, per thread.
type Span = { name: string; start: number; end: number };
const spans = new Map<string, Span[]>();
const open = new Map<string, Span[]>();
for (const e of events) {
	const key = `${e.pid}:${e.tid}`;
	if (e.ph === 'X' && e.dur !== undefined) {
		if (!spans.has(key)) spans.set(key, []);
		spans.get(key)!.push({ name: e.name, start: e.ts, end: e.ts + e.dur });
	} else if (e.ph === 'B') {
		if (!open.has(key)) open.set(key, []);
		open.get(key)!.push({ name: e.name, start: e.ts, end: e.ts });
	} else if (e.ph === 'E') {
		const span = open.get(key)?.pop();
		if (span) {
			span.end = e.ts;
			if (!spans.has(key)) spans.set(key, []);
			spans.get(key)!.push(span);
		}
	}
}

let first = Infinity;
let last = -Infinity;
for (const list of spans.values())
	for (const s of list) {
		first = Math.min(first, s.start);
		last = Math.max(last, s.end);
	}
const wall = (last - first) / 1000;

const perThread: { thread: string; busy: number; selfByName: Map<string, number> }[] = [];
for (const [key, list] of spans) {
	list.sort((a, b) => a.start - b.start || b.end - a.end);
	const selfByName = new Map<string, number>();
	const stack: Span[] = [];
	const childTime = new Map<Span, number>();
	let busy = 0;
	for (const s of list) {
		while (stack.length > 0 && stack[stack.length - 1].end <= s.start) stack.pop();
		const parent = stack[stack.length - 1];
		if (parent) childTime.set(parent, (childTime.get(parent) ?? 0) + (Math.min(s.end, parent.end) - s.start));
		else busy += s.end - s.start;
		stack.push(s);
	}
	for (const s of list) selfByName.set(s.name, (selfByName.get(s.name) ?? 0) + (s.end - s.start - (childTime.get(s) ?? 0)));
	const pid = Number(key.split(':')[0]);
	perThread.push({ thread: `${processNames.get(pid) ?? pid} / ${threadNames.get(key) ?? key}`, busy, selfByName });
}

perThread.sort((a, b) => b.busy - a.busy);
console.log(`trace of ${wall.toFixed(1)} s wall`);
for (const t of perThread.slice(0, 6)) {
	console.log(`\n${t.thread}: busy ${(t.busy / 1000).toFixed(0)} ms (${((t.busy / 1000 / wall) * 100).toFixed(1)}% of the wall)`);
	for (const [name, self] of [...t.selfByName].sort((a, b) => b[1] - a[1]).slice(0, rows))
		console.log(`  ${(self / 1000).toFixed(0).padStart(8)} ms  ${((self / t.busy) * 100).toFixed(1).padStart(5)}%  ${name}`);
}
