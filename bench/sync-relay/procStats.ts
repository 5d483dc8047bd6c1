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
	ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	// The command name may hold spaces: count fields after its closing parenthesis (utime, stime are fields 14, 15).
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/**
 * CPU time of the main thread alone, in ms, from schedstat (nanoseconds). Near 100% of wall time means the
 * event loop is saturated, whatever helper threads add.
 */
export const mainThreadCpuMs = (pid: number): number => Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
