import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from '../sync-relay/servers/child.ts';
import type { FromClient, OpenJob, ToClient } from './clientMain.ts';
import { socketCount, subscriptionCount, type Plan } from './plan.ts';

const SCRIPT = 'bench/idle-memory/clientMain.ts';

export interface OpenResult {
	/** Subscriptions asked for: sockets of `/sync/<doc>`, or channels of multiplexed sockets. */
	sockets: number;
	opened: number;
	failed: number;
	notAttempted: number;
	reasons: Record<string, number>;
	ms: number;
	processes: number;
}

export interface IdleStatus {
	open: number;
	lost: number;
	lostReasons: Record<string, number>;
}

export interface FleetOptions {
	/** Most sockets one process holds (a multiplexed socket counts once, with all its channels). */
	perProcess: number;
	/** Subscriptions being opened at once, over all processes. */
	concurrency: number;
	timeoutMs: number;
}

/**
 * The client side of one run: the plan's subscriptions split into contiguous ranges over several child
 * processes (clientMain.ts), so that no client process holds more than `perProcess` sockets; a multiplexed
 * socket's channels all go to one process.
 */
export class ClientProcesses {
	readonly #children: { child: ChildProcess; from: number; to: number; ready: Promise<void> }[] = [];
	readonly #plan: Plan;
	readonly #opts: FleetOptions;

	constructor(plan: Plan, opts: FleetOptions) {
		this.#plan = plan;
		this.#opts = opts;
		const total = subscriptionCount(plan);
		const sockets = socketCount(plan);
		const count = Math.max(1, Math.ceil(sockets / opts.perProcess));
		const size = Math.ceil(sockets / count) * (plan.kind === 'mux' ? plan.channelsPerSocket : 1);
		for (let k = 0; k < count; k++) {
			const from = k * size;
			const to = Math.min(total, from + size);
			const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
				cwd: ROOT,
				stdio: ['ignore', 'inherit', 'inherit', 'ipc']
			});
			const ready = new Promise<void>((resolve, reject) => {
				const onMessage = (m: FromClient) => {
					if (m.type !== 'ready') return;
					child.off('message', onMessage);
					resolve();
				};
				child.on('message', onMessage);
				child.once('exit', (code, signal) => reject(new Error(`client process exited (${code ?? signal}) before it was ready`)));
			});
			ready.catch(() => {}); // awaited in open(); a process that dies later is reported there
			this.#children.push({ child, from, to, ready });
		}
	}

	get processes(): number {
		return this.#children.length;
	}

	/** Opens every subscription of the plan; resolves with how many opened and why the others did not. */
	async open(urlTemplate: string, docTemplate: string | null, cookies: string[], origin: string | null): Promise<OpenResult> {
		for (const { ready } of this.#children) await ready;
		const concurrency = Math.max(1, Math.ceil(this.#opts.concurrency / this.#children.length));
		const progress = this.#children.map(() => ({ opened: 0, failed: 0 }));
		const total = subscriptionCount(this.#plan);
		const t0 = performance.now();
		const ticker = setInterval(() => {
			const opened = progress.reduce((a, p) => a + p.opened, 0);
			const failed = progress.reduce((a, p) => a + p.failed, 0);
			process.stderr.write(`  opened ${opened.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (${failed} failed)\n`);
		}, 5000);
		try {
			const results = await Promise.all(
				this.#children.map(({ child, from, to }, k) => {
					const job: OpenJob = {
						plan: this.#plan,
						from,
						to,
						urlTemplate,
						docTemplate,
						cookies,
						origin,
						concurrency,
						timeoutMs: this.#opts.timeoutMs,
						maxFailures: Math.max(100, Math.ceil((to - from) * 0.05))
					};
					return this.#ask(child, { type: 'open', job }, 'opened', (m) => {
						if (m.type === 'progress') progress[k] = m;
					});
				})
			);
			const ms = performance.now() - t0;
			const reasons: Record<string, number> = {};
			for (const r of results) for (const [why, n] of Object.entries(r.reasons)) reasons[why] = (reasons[why] ?? 0) + n;
			return {
				sockets: total,
				opened: results.reduce((a, r) => a + r.opened, 0),
				failed: results.reduce((a, r) => a + r.failed, 0),
				notAttempted: results.reduce((a, r) => a + r.notAttempted, 0),
				reasons,
				ms,
				processes: this.#children.length
			};
		} finally {
			clearInterval(ticker);
		}
	}

	/** Subscriptions still open, and those the server closed while they sat idle. */
	async status(): Promise<IdleStatus> {
		const all = await Promise.all(this.#children.map(({ child }) => this.#ask(child, { type: 'status' }, 'status')));
		const lostReasons: Record<string, number> = {};
		for (const s of all) for (const [why, n] of Object.entries(s.lostReasons)) lostReasons[why] = (lostReasons[why] ?? 0) + n;
		return { open: all.reduce((a, s) => a + s.open, 0), lost: all.reduce((a, s) => a + s.lost, 0), lostReasons };
	}

	/** Closes every socket and ends every client process (SIGKILL for any that does not leave in 10 s). */
	async close(): Promise<void> {
		await Promise.all(
			this.#children.map(({ child }) => {
				if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
				return new Promise<void>((resolve) => {
					const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
					child.once('exit', () => {
						clearTimeout(kill);
						resolve();
					});
					if (child.connected) child.send({ type: 'close' } satisfies ToClient);
					else child.kill('SIGTERM');
				});
			})
		);
	}

	/** Sends `message` and resolves with the first reply of type `want`; rejects if the process dies first. */
	#ask<T extends FromClient['type']>(
		child: ChildProcess,
		message: ToClient,
		want: T,
		onOther?: (m: FromClient) => void
	): Promise<Extract<FromClient, { type: T }>> {
		return new Promise((resolve, reject) => {
			const onMessage = (m: FromClient) => {
				if (m.type !== want) return onOther?.(m);
				cleanup();
				resolve(m as Extract<FromClient, { type: T }>);
			};
			const onExit = (code: number | null, signal: string | null) => {
				cleanup();
				reject(new Error(`client process ${child.pid} exited (${code ?? signal}) before it answered ${message.type}`));
			};
			const cleanup = () => {
				child.off('message', onMessage);
				child.off('exit', onExit);
			};
			child.on('message', onMessage);
			child.once('exit', onExit);
			child.send(message);
		});
	}
}
