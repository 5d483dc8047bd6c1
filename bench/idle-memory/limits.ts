import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Open-file limits of this process. */
export interface FdLimits {
	soft: number;
	hard: number;
}

export function ownFdLimits(): FdLimits {
	const limits = fs.readFileSync('/proc/self/limits', 'utf8');
	const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
	if (!match) throw new Error('no open-file limit in /proc/self/limits');
	const n = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
	return { soft: n(match[1]), hard: n(match[2]) };
}

/**
 * Gives this process, and so every server and client process it starts afterwards (they inherit it; Node
 * lifts its soft limit to the hard one at start-up), at least `wanted` open files if it may: with prlimit(1)
 * on itself, which for the hard limit takes CAP_SYS_RESOURCE (root alone is not enough in a container).
 * Returns the limit the children will have, which may be less than `wanted`: the caller decides what fits.
 */
export function raiseFdLimit(wanted: number): FdLimits {
	const before = ownFdLimits();
	if (before.soft >= wanted) return before;
	const max = Number(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8').trim()) || 1_048_576;
	const n = Math.min(max, wanted);
	const attempts = before.hard >= n ? [`${n}:${before.hard}`] : [`${n}:${n}`, `${before.hard}:${before.hard}`];
	for (const limit of attempts) {
		try {
			execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${limit}`], { stdio: 'ignore' });
			break;
		} catch {
			// Not permitted (no CAP_SYS_RESOURCE) or no prlimit: try the next, smaller one.
		}
	}
	return ownFdLimits();
}
