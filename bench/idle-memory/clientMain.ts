import type WebSocket from 'ws';
import { addressOf, docKey, docOf, sessionOf, type Plan } from './plan.ts';
import { openSynced, OpenError } from './socket.ts';

/**
 * One client process of the idle-memory bench (started by clients.ts over IPC). It opens sockets
 * [from, to) of the plan, a few at a time, reports progress and then sits idle with them until told to
 * close. It exits when the parent goes away, so no client outlives a failed run.
 */
export interface OpenJob {
	plan: Plan;
	from: number;
	to: number;
	/** Socket URL with `{doc}` standing for the doc key. */
	urlTemplate: string;
	/** Session cookies by session index (empty: no authentication, the reference server). */
	cookies: string[];
	origin: string | null;
	concurrency: number;
	timeoutMs: number;
	/** Stop opening more after this many failures in this process (the rest count as not attempted). */
	maxFailures: number;
}

export type ToClient = { type: 'open'; job: OpenJob } | { type: 'status' } | { type: 'close' };

export type FromClient =
	| { type: 'ready' }
	| { type: 'progress'; opened: number; failed: number }
	| { type: 'opened'; opened: number; failed: number; notAttempted: number; reasons: Record<string, number> }
	| { type: 'status'; open: number; lost: number; lostReasons: Record<string, number> }
	| { type: 'closed' };

const sockets = new Set<WebSocket>();
let lost = 0;
const lostReasons: Record<string, number> = {};
let closing = false;

const send = (message: FromClient) => process.send?.(message);
const count = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);

async function openAll(job: OpenJob): Promise<void> {
	const { plan } = job;
	const reasons: Record<string, number> = {};
	let next = job.from;
	let opened = 0;
	let failed = 0;
	const progress = setInterval(() => send({ type: 'progress', opened, failed }), 1000);
	const worker = async () => {
		while (next < job.to && failed < job.maxFailures && !closing) {
			const i = next++;
			const headers: Record<string, string> = {};
			if (job.cookies.length > 0) headers.cookie = job.cookies[sessionOf(plan, i)];
			if (job.origin) headers.origin = job.origin;
			try {
				const socket = await openSynced(job.urlTemplate.replace('{doc}', docKey(docOf(plan, i))), {
					headers,
					localAddress: addressOf(plan, i),
					timeoutMs: job.timeoutMs
				});
				sockets.add(socket);
				opened++;
				socket.on('close', (code, reason) => {
					sockets.delete(socket);
					if (closing) return;
					lost++;
					count(lostReasons, `${code} ${reason.toString()}`.trim());
				});
			} catch (error) {
				failed++;
				count(reasons, error instanceof OpenError ? error.message : String(error));
			}
		}
	};
	await Promise.all(Array.from({ length: job.concurrency }, worker));
	clearInterval(progress);
	send({ type: 'opened', opened, failed, notAttempted: job.to - next, reasons });
}

/** Closes every socket at once (no closing handshake: 100,000 of them would only slow the way out). */
function closeAll(): void {
	closing = true;
	for (const socket of sockets) socket.terminate();
	sockets.clear();
}

process.on('message', (message: ToClient) => {
	if (message.type === 'open') {
		openAll(message.job).catch((error: unknown) => {
			process.stderr.write(`idle-memory client: ${error instanceof Error ? error.stack : String(error)}\n`);
			process.exit(1);
		});
	} else if (message.type === 'status') {
		send({ type: 'status', open: sockets.size, lost, lostReasons });
	} else if (message.type === 'close') {
		closeAll();
		send({ type: 'closed' });
		process.disconnect?.();
		setTimeout(() => process.exit(0), 100).unref();
	}
});
process.on('disconnect', () => {
	closeAll();
	process.exit(0);
});
send({ type: 'ready' });
