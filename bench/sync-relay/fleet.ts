import { LightClient } from './client.ts';
import { clientCount, docOf, type Layout } from './layout.ts';
import { DeliveryTally } from './tally.ts';

/** A server as the clients see it: where each doc's socket is and what headers the upgrade needs. */
export interface SyncTarget {
	socketUrl(doc: number): string;
	readonly headers: Record<string, string>;
}

/**
 * Most updates a sender may have on the way (sent, not yet seen by its witness); a send due beyond that is
 * skipped and counted as throttled. Past saturation the server falls behind, and without a limit the
 * backlog, the latency and the drain after the step would grow without end; with it the total backlog
 * stays at clients x 4 updates, far more than a server needs to stay busy, at any rate.
 */
const MAX_IN_FLIGHT = 4;
const PACE_INTERVAL_MS = 1;

/**
 * All clients of one run and the pacing of their sends. Sends are open-loop at a fixed total rate (up to
 * the in-flight limit), spread evenly: consecutive sends go to different docs, and each client sends
 * every 1/rate seconds.
 */
export class Fleet {
	readonly tally: DeliveryTally;
	readonly layout: Layout;
	readonly #clients: LightClient[] = [];
	#timer: NodeJS.Timeout | null = null;

	constructor(layout: Layout) {
		this.layout = layout;
		this.tally = new DeliveryTally(layout);
		for (let i = 0; i < clientCount(layout); i++) this.#clients.push(new LightClient(i, this.tally));
	}

	/** Connects every client, a few at a time so the upgrade handling is not one burst. */
	async connect(target: SyncTarget, concurrency = 50): Promise<void> {
		let next = 0;
		const worker = async () => {
			while (next < this.#clients.length) {
				const client = this.#clients[next++];
				await client.connect(target.socketUrl(docOf(this.layout, client.index)), target.headers);
			}
		};
		await Promise.all(Array.from({ length: concurrency }, worker));
	}

	/** Starts sending `perClient` updates per second from every client, until stop(). */
	start(perClient: number): void {
		this.stop();
		const { docs, perDoc } = this.layout;
		const n = this.#clients.length;
		const total = n * perClient;
		const acked = this.tally.acked;
		const t0 = performance.now();
		let issued = 0;
		this.#timer = setInterval(() => {
			const due = Math.floor(((performance.now() - t0) * total) / 1000);
			for (; issued < due; issued++) {
				// Doc-major order: send k goes to doc k % docs, so one doc's clients do not send back to back.
				const j = issued % n;
				const client = this.#clients[(j % docs) * perDoc + Math.floor(j / docs)];
				if (client.seq - acked[client.index] >= MAX_IN_FLIGHT) {
					this.tally.throttled();
					continue;
				}
				client.send();
				this.tally.sent();
			}
		}, PACE_INTERVAL_MS);
	}

	stop(): void {
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
	}

	/** Waits until every update sent so far reached all other clients of its doc; false on timeout. */
	async drain(timeoutMs: number): Promise<boolean> {
		const deadline = performance.now() + timeoutMs;
		const expected = () => this.tally.totalSent * (this.layout.perDoc - 1);
		while (this.tally.totalDelivered < expected()) {
			if (performance.now() > deadline) return false;
			await new Promise((r) => setTimeout(r, 20));
		}
		return true;
	}

	async close(): Promise<void> {
		this.stop();
		await Promise.all(this.#clients.map((c) => c.close()));
	}
}
