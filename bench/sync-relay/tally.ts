import type { ClientSink } from './client.ts';
import { clientCount, docOf, slotOf, witnessOf, type Layout } from './layout.ts';
import { Samples } from './samples.ts';

/** What happened during one measuring window. */
export interface WindowCounts {
	sent: number;
	/** Sends skipped because the sender already had a full in-flight window (the server is behind). */
	throttled: number;
	/** Distinct original updates that reached another client of their doc. */
	delivered: number;
	messages: number;
	/** Sync step 1 messages after the handshake (our server's commit acknowledgements), each answered with step 2. */
	acks: number;
	/** A client's own update coming back to it (the reference server echoes; it is not a delivery). */
	echoes: number;
	/** An update a receiver had already seen, or one older than the newest it saw from that sender. */
	duplicates: number;
	/** Updates a receiver never got: the seq jumped past them. Should stay 0. */
	gaps: number;
	/** A stamp from a client of another doc. Should stay 0. */
	foreign: number;
	latencies: Samples;
}

const emptyWindow = (): WindowCounts => ({
	sent: 0,
	throttled: 0,
	delivered: 0,
	messages: 0,
	acks: 0,
	echoes: 0,
	duplicates: 0,
	gaps: 0,
	foreign: 0,
	latencies: new Samples()
});

/**
 * Counts deliveries for the whole fleet. Each receiver keeps the last seq it saw per sender slot, so a
 * delivery is counted once however the server batched it; a witness per sender says how far its
 * updates got, which both the in-flight limit and the drain wait on.
 */
export class DeliveryTally implements ClientSink {
	readonly #layout: Layout;
	readonly #lastSeen: Int32Array;
	/** Highest seq of each sender that its witness received. */
	readonly acked: Int32Array;
	/** Since the fleet connected, windows or not: what the drain compares. */
	totalSent = 0;
	totalDelivered = 0;
	/** Gaps at any time, not only in windows: a lost update is a bug whichever step it happens in. */
	totalGaps = 0;
	socketsLost = 0;
	#window: WindowCounts | null = null;

	constructor(layout: Layout) {
		this.#layout = layout;
		this.#lastSeen = new Int32Array(clientCount(layout) * layout.perDoc);
		this.acked = new Int32Array(clientCount(layout));
	}

	openWindow(): void {
		this.#window = emptyWindow();
	}

	closeWindow(): WindowCounts {
		const counts = this.#window ?? emptyWindow();
		this.#window = null;
		return counts;
	}

	sent(): void {
		this.totalSent++;
		if (this.#window) this.#window.sent++;
	}

	throttled(): void {
		if (this.#window) this.#window.throttled++;
	}

	message(): void {
		if (this.#window) this.#window.messages++;
	}

	ack(): void {
		if (this.#window) this.#window.acks++;
	}

	stamp(receiver: number, sender: number, seq: number, sentAt: number, receivedAt: number): void {
		const w = this.#window;
		const l = this.#layout;
		if (sender === receiver) {
			if (w) w.echoes++;
			return;
		}
		if (sender < 0 || sender >= this.acked.length || docOf(l, sender) !== docOf(l, receiver)) {
			if (w) w.foreign++;
			return;
		}
		const at = receiver * l.perDoc + slotOf(l, sender);
		const last = this.#lastSeen[at];
		if (seq <= last) {
			if (w) w.duplicates++;
			return;
		}
		this.#lastSeen[at] = seq;
		this.totalDelivered++;
		if (witnessOf(l, sender) === receiver) this.acked[sender] = seq;
		if (seq > last + 1) this.totalGaps += seq - last - 1;
		if (!w) return;
		if (seq > last + 1) w.gaps += seq - last - 1;
		w.delivered++;
		w.latencies.add(receivedAt - sentAt);
	}

	lost(): void {
		this.socketsLost++;
	}
}
