import * as Y from 'yjs';
import { readStamps, StampWriter } from './payload.ts';

/**
 * Proves the counting method before any figure depends on it: updates applied to a server-side doc
 * (gc on, like both servers), re-emitted by it and then merged with Y.mergeUpdates, still expose every
 * original stamp exactly once, including two consecutive updates of one sender merged together.
 * Throws if not.
 */
export function checkStampsSurviveMerge(): void {
	const server = new Y.Doc({ gc: true });
	const relayed: Uint8Array[] = [];
	server.on('update', (update: Uint8Array) => relayed.push(update));

	const writers = [new StampWriter(0), new StampWriter(1), new StampWriter(2)];
	const sent: string[] = [];
	const send = (w: number, seq: number) => {
		const sentAt = 1000 + w * 10 + seq + 0.25;
		Y.applyUpdate(server, writers[w].write(seq, sentAt));
		sent.push(`${w}:${seq}:${sentAt}`);
	};
	// A first round that the merged batch below builds on (its items become left origins).
	for (let w = 0; w < writers.length; w++) send(w, 1);
	relayed.length = 0;
	send(0, 2);
	send(1, 2);
	send(0, 3); // deletes seq 2 of the same sender: its content must still be in the merge
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
}
