import type WebSocket from 'ws';
import { MuxClient } from './muxSocket.ts';
import { addressOf, channelOf, docKey, docOf, sessionOf, socketOf, type MuxPlan, type Plan } from './plan.ts';
import { openSynced, OpenError } from './socket.ts';

/**
 * One client process of the idle-memory bench (started by clients.ts over IPC). It opens subscriptions
 * [from, to) of the plan, a few at a time — sockets of `/sync/<doc>`, or channels of multiplexed sockets of
 * `/sync`, each shared socket opened when its first channel is — reports progress and then sits idle with them
 * until told to close. It exits when the parent goes away, so no client outlives a failed run.
 */
export interface OpenJob {
	plan: Plan;
	from: number;
	to: number;
	/** Socket URL: with `{doc}` standing for the doc key (a `sockets` plan), or the `/sync` URL (a `mux` plan). */
	urlTemplate: string;
	/** Doc name with `{doc}` standing for the doc key, sent in a channel's open frame (a `mux` plan). */
	docTemplate: string | null;
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
const muxes = new Set<MuxClient>();
let lost = 0;
const lostReasons: Record<string, number> = {};
let closing = false;

const send = (message: FromClient) => process.send?.(message);
const count = (into: Record<string, number>, key: string, n = 1) => (into[key] = (into[key] ?? 0) + n);

/** Opens subscription i as its own socket; resolves once it is synced, rejects with the reason it did not open. */
type Opener = (i: number) => Promise<void>;

function socketOpener(job: OpenJob): Opener {
	return async (i) => {
		const { plan } = job;
		const socket = await openSynced(job.urlTemplate.replace('{doc}', docKey(docOf(plan, i))), {
			headers: headersOf(job, i),
			localAddress: addressOf(plan, i),
			timeoutMs: job.timeoutMs
		});
		sockets.add(socket);
		socket.on('close', (code, reason) => {
			sockets.delete(socket);
			if (closing) return;
			lost++;
			count(lostReasons, `${code} ${reason.toString()}`.trim());
		});
	};
}

/** Opens subscription i as a channel of its multiplexed socket, opening that socket first if it is the first. */
function muxOpener(job: OpenJob, plan: MuxPlan): Opener {
	const docTemplate = job.docTemplate;
	if (!docTemplate) throw new Error('a mux plan needs a doc name template');
	const byIndex = new Map<number, Promise<MuxClient>>();
	const muxOf = (i: number): Promise<MuxClient> => {
		const index = socketOf(plan, i);
		let opening = byIndex.get(index);
		if (!opening) {
			opening = MuxClient.open(job.urlTemplate, {
				headers: headersOf(job, i),
				localAddress: addressOf(plan, i),
				timeoutMs: job.timeoutMs
			});
			opening.then(
				(mux) => {
					muxes.add(mux);
					mux.onLost = (reason, n) => {
						lost += n;
						count(lostReasons, reason, n);
					};
				},
				() => {} // each of its channels fails with the reason
			);
			byIndex.set(index, opening);
		}
		return opening;
	};
	return async (i) => {
		const mux = await muxOf(i);
		await mux.openChannel(channelOf(plan, i), docTemplate.replace('{doc}', docKey(docOf(plan, i))), job.timeoutMs);
	};
}

function headersOf(job: OpenJob, i: number): Record<string, string> {
	const headers: Record<string, string> = {};
	if (job.cookies.length > 0) headers.cookie = job.cookies[sessionOf(job.plan, i)];
	if (job.origin) headers.origin = job.origin;
	return headers;
}

async function openAll(job: OpenJob): Promise<void> {
	const { plan } = job;
	const openOne = plan.kind === 'mux' ? muxOpener(job, plan) : socketOpener(job);
	const reasons: Record<string, number> = {};
	let next = job.from;
	let opened = 0;
	let failed = 0;
	const progress = setInterval(() => send({ type: 'progress', opened, failed }), 1000);
	const worker = async () => {
		while (next < job.to && failed < job.maxFailures && !closing) {
			const i = next++;
			try {
				await openOne(i);
				opened++;
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
	for (const mux of muxes) mux.terminate();
	muxes.clear();
}

process.on('message', (message: ToClient) => {
	if (message.type === 'open') {
		openAll(message.job).catch((error: unknown) => {
			process.stderr.write(`idle-memory client: ${error instanceof Error ? error.stack : String(error)}\n`);
			process.exit(1);
		});
	} else if (message.type === 'status') {
		let open = sockets.size;
		for (const mux of muxes) open += mux.openChannels;
		send({ type: 'status', open, lost, lostReasons });
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
