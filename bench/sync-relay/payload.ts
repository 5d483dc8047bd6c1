import * as Y from 'yjs';

/**
 * What each benchmark update carries, and how a receiver gets it back out: every update appends one stamp
 * [sender, seq, sentAt] to an array, like a message added to a thread. Appends, not overwrites: a server that
 * applies a batch in one transaction garbage-collects values overwritten within it (the doc's final state is the
 * same), which would hide them from a receiver that counts every original update.
 */

/** Called once per original update found in a received update. */
export type StampVisitor = (sender: number, seq: number, sentAt: number) => void;

/**
 * One client's own tiny doc. Only its own edits are ever applied to it, so an update stays a few dozen
 * bytes and encodes in microseconds however long the run is.
 */
export class StampWriter {
	readonly doc = new Y.Doc();
	readonly #sender: number;
	readonly #stamps: Y.Array<number[]>;
	#last: Uint8Array | null = null;

	constructor(sender: number) {
		this.#sender = sender;
		this.#stamps = this.doc.getArray<number[]>('stamps');
		this.doc.on('update', (update: Uint8Array) => {
			this.#last = update;
		});
	}

	/** Appends [sender, seq, sentAt] and returns the Yjs update that did it. */
	write(seq: number, sentAt: number): Uint8Array {
		this.#last = null;
		this.#stamps.push([[this.#sender, seq, sentAt]]);
		const update = this.#last as Uint8Array | null;
		if (!update) throw new Error('push produced no update');
		return update;
	}
}

/**
 * Reads every stamp in an update without applying it to a doc: each original update is one Item whose
 * ContentAny holds the stamp, whether the update arrived alone or merged with others (see check.ts).
 * Returns how many stamps it found.
 */
export function readStamps(update: Uint8Array, visit: StampVisitor): number {
	let found = 0;
	for (const struct of Y.decodeUpdate(update).structs) {
		if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentAny)) continue;
		for (const value of struct.content.arr as unknown[]) {
			if (!Array.isArray(value) || value.length !== 3) continue;
			const [sender, seq, sentAt] = value as unknown[];
			if (typeof sender !== 'number' || typeof seq !== 'number' || typeof sentAt !== 'number') continue;
			visit(sender, seq, sentAt);
			found++;
		}
	}
	return found;
}
