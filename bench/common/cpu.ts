import fs from 'node:fs';
import os from 'node:os';
import { machineTicks, processCpuMs } from '../sync-relay/procStats.ts';

/**
 * Where the machine's CPU went while a bench measured: Chromium (every process of it), our server, this bench
 * process and everything else (on a shared machine: another engineer's tests). Read from /proc (Linux only).
 */
export interface CpuReading {
	at: number;
	machine: { busy: number; total: number };
	chromiumMs: number;
	serverMs: number;
	benchMs: number;
}

function processes(): { pid: number; ppid: number; comm: string }[] {
	const out: { pid: number; ppid: number; comm: string }[] = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			out.push({ pid: Number(entry), ppid, comm });
		} catch {
			// Ended meanwhile.
		}
	}
	return out;
}

function descendants(all: { pid: number; ppid: number }[], root: number): number[] {
	const found = [root];
	for (let i = 0; i < found.length; i++) for (const p of all) if (p.ppid === found[i]) found.push(p.pid);
	return found;
}

const sumCpu = (pids: number[]) =>
	pids.reduce((sum, pid) => {
		try {
			return sum + processCpuMs(pid);
		} catch {
			return sum;
		}
	}, 0);

/** A reading now; `serverPid` is the server process this bench started. */
export function readCpu(serverPid: number): CpuReading {
	const all = processes();
	const mine = descendants(all, process.pid);
	const chromium = mine.filter((pid) => /^(chromium|chrome)/.test(all.find((p) => p.pid === pid)?.comm ?? ''));
	const usage = process.cpuUsage();
	return {
		at: performance.now(),
		machine: machineTicks(),
		chromiumMs: sumCpu(chromium),
		serverMs: sumCpu(descendants(all, serverPid)),
		benchMs: (usage.user + usage.system) / 1000
	};
}

/** "CPU while timing: Chromium 1.4, our server 0.1, this process 0.1, the rest of the machine 0.3 of 2 cores". */
export function describeCpu(before: CpuReading, after: CpuReading): string {
	const wall = after.at - before.at;
	const cores = os.cpus().length;
	const busy = ((after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total)) * cores;
	const chromium = (after.chromiumMs - before.chromiumMs) / wall;
	const server = (after.serverMs - before.serverMs) / wall;
	const bench = (after.benchMs - before.benchMs) / wall;
	const rest = Math.max(0, busy - chromium - server - bench);
	const f = (n: number) => n.toFixed(2);
	return `CPU while timing (cores busy, of ${cores}): Chromium ${f(chromium)}, our server ${f(server)}, this process ${f(bench)}, the rest of the machine ${f(rest)}`;
}
