import type { DocHandle, SyncServer } from '../sync/index.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';

/**
 * Handles the channels keep on docs they write often (a clinic's contacts and inbox, busy threads): releasing
 * after every event would unload and reload the doc each time nobody else holds it. Released after `idleMs`.
 */
export class HeldDocs {
	readonly #sync: Pick<SyncServer, 'open'>;
	readonly #idleMs: number;
	readonly #held = new Map<string, { handle: Promise<DocHandle>; timer: NodeJS.Timeout }>();

	constructor(sync: Pick<SyncServer, 'open'>, idleMs = 30_000) {
		this.#sync = sync;
		this.#idleMs = idleMs;
	}

	get(docName: string, origin: TransactionOrigin): Promise<DocHandle> {
		const key = `${JSON.stringify(origin)}\n${docName}`;
		const held = this.#held.get(key);
		if (held) {
			held.timer.refresh();
			return held.handle;
		}
		const handle = this.#sync.open(docName, origin);
		const timer = setTimeout(() => this.#drop(key), this.#idleMs);
		timer.unref();
		this.#held.set(key, { handle, timer });
		handle.catch(() => this.#held.delete(key));
		return handle;
	}

	/** Lets go of a handle whose doc failed, so the next event opens it anew. */
	forget(docName: string, origin: TransactionOrigin): void {
		this.#drop(`${JSON.stringify(origin)}\n${docName}`);
	}

	#drop(key: string): void {
		const held = this.#held.get(key);
		if (!held) return;
		this.#held.delete(key);
		clearTimeout(held.timer);
		void held.handle.then((h) => h.release()).catch(() => undefined);
	}

	releaseAll(): void {
		for (const key of [...this.#held.keys()]) this.#drop(key);
	}
}
