/** A deleted range of one client's clocks: `[client, clock, len]`. */
export type DeletedRange = [client: number, clock: number, len: number];

/** Yjs's delete set, as a transaction or a decoded update carries it. */
export interface DeleteSetLike {
	clients: Map<number, { clock: number; len: number }[]>;
}

export function deletedRanges(ds: DeleteSetLike): DeletedRange[] {
	return [...ds.clients].flatMap(([client, items]) => items.map(({ clock, len }): DeletedRange => [client, clock, len]));
}

/**
 * What the server is known to have deleted, from the delete sets it sent. A state vector says nothing of deletions
 * (they have no clock), so an edit that only deletes is confirmed by this instead.
 */
export class ServerDeletions {
	/** Per client, disjoint `[from, to)` clock intervals in order. */
	readonly #byClient = new Map<number, [number, number][]>();

	add(ds: DeleteSetLike): void {
		for (const [client, items] of ds.clients) {
			if (items.length === 0) continue;
			const all = [
				...(this.#byClient.get(client) ?? []),
				...items.map(({ clock, len }): [number, number] => [clock, clock + len])
			];
			all.sort((a, b) => a[0] - b[0]);
			const merged: [number, number][] = [];
			for (const [from, to] of all) {
				const last = merged.at(-1);
				if (last && from <= last[1]) last[1] = Math.max(last[1], to);
				else merged.push([from, to]);
			}
			this.#byClient.set(client, merged);
		}
	}

	covers(ranges: DeletedRange[]): boolean {
		return ranges.every(([client, clock, len]) =>
			(this.#byClient.get(client) ?? []).some(([from, to]) => from <= clock && clock + len <= to)
		);
	}
}
