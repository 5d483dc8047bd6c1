import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Readings of another process from /proc (Linux only). */
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
	if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
	return Number(match[1]);
}

export const rssMb = (pid: number): number => statusKb(pid, 'VmRSS') / 1024;

/** Peak RSS over the process's whole life. */
export const peakRssMb = (pid: number): number => statusKb(pid, 'VmHWM') / 1024;

let ticksPerSecond: number | null = null;

/** CPU time of the whole process (every thread, live or ended: GC, libuv pool…), in ms. */
export function processCpuMs(pid: number): number {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	// The command name may hold spaces: count fields after its closing parenthesis (utime, stime are fields 14, 15).
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
}

/**
 * The main thread's time on a CPU and time spent runnable but waiting for one, in ms (schedstat counts
 * nanoseconds). On CPU near 100% of wall time means the event loop is saturated; a large wait means the
 * machine's cores were the limit, not the code; neither means the thread was blocked (I/O, fsync) or idle.
 */
export function mainThreadSched(pid: number | 'self'): { cpuMs: number; waitMs: number } {
	const [cpu, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ');
	return { cpuMs: Number(cpu) / 1e6, waitMs: Number(wait) / 1e6 };
}

/** Time the whole machine spent busy and in total, summed over all CPUs, in ticks (from /proc/stat). */
export function machineTicks(): { busy: number; total: number } {
	const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
	// user nice system idle iowait irq softirq steal
	const idle = fields[3] + fields[4];
	const total = fields.reduce((a, b) => a + b, 0);
	return { busy: total - idle, total };
}

/** Ticks per second of /proc/stat and /proc/<pid>/stat. */
export function clockTicks(): number {
	ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
	return ticksPerSecond;
}
