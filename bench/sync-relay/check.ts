import * as Y from 'yjs';
import { readStamps, StampWriter } from './payload.ts';

/**
 * Proves the counting method before any figure depends on it: updates applied to a server-side doc
 * (gc on, like both servers), re-emitted by it and then merged with Y.mergeUpdates, still expose every
 * original stamp exactly once, including two consecutive updates of one sender merged together, and so does a
 * batch applied as one merged update in one transaction (as our server applies what arrives between commits).
 * Throws if not.
 */
export function checkStampsSurviveMerge(): void {
	const server = new Y.Doc({ gc: true });
	const relayed: Uint8Array[] = [];
	server.on('update', (update: Uint8Array) => relayed.push(update));

	const writers = [new StampWriter(0), new StampWriter(1), new StampWriter(2)];
	const sent: string[] = [];
	const raw: Uint8Array[] = [];
	const send = (w: number, seq: number) => {
		const sentAt = 1000 + w * 10 + seq + 0.25;
		const update = writers[w].write(seq, sentAt);
		raw.push(update);
		Y.applyUpdate(server, update);
		sent.push(`${w}:${seq}:${sentAt}`);
	};
	// A first round that the merged batch below builds on (its items become left origins).
	for (let w = 0; w < writers.length; w++) send(w, 1);
	relayed.length = 0;
	send(0, 2);
	send(1, 2);
	send(0, 3); // right after seq 2 of the same sender: Yjs may merge both into one item
	send(2, 2);
	const batch = sent.slice(3);

	const seen = (update: Uint8Array) => {
		const out: string[] = [];
		readStamps(update, (sender, seq, sentAt) => out.push(`${sender}:${seq}:${sentAt}`));
		return out.sort();
	};
	const expectSame = (what: string, got: string[], want: string[]) => {
		if (JSON.stringify(got) !== JSON.stringify([...want].sort())) {
			throw new Error(`stamp check failed (${what}): got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
		}
	};
	expectSame('one by one', relayed.flatMap(seen).sort(), batch);
	expectSame('merged', seen(Y.mergeUpdates(relayed)), batch);
	expectSame('merged without sender 0', seen(Y.mergeUpdates([relayed[1], relayed[3]])), [batch[1], batch[3]]);

	const batched = new Y.Doc({ gc: true });
	raw.slice(0, 3).forEach((u) => Y.applyUpdate(batched, u));
	let emitted: Uint8Array | null = null;
	batched.on('update', (update: Uint8Array) => (emitted = update));
	Y.applyUpdate(batched, Y.mergeUpdates(raw.slice(3)));
	expectSame('applied as one batch', seen(emitted!), batch);
}
