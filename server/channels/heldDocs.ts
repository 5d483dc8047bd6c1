import type { DocHandle, SyncServer } from '../sync/index.ts';
import type * as Y from 'yjs';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';

const READ_ORIGIN: TransactionOrigin = { source: 'job', name: 'read' };

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

	/** `SyncServer.read`, on a held doc: reading often does not unload and reload it each time. */
	async read<T>(docName: string, view: (doc: Y.Doc) => T): Promise<T> {
		const handle = await this.get(docName, READ_ORIGIN);
		let result: T | undefined;
		await this.#forgetOnError(docName, READ_ORIGIN, () =>
			handle.transact((doc) => {
				result = view(doc);
			})
		);
		return result as T;
	}

	/** `SyncServer.write`, on a held doc: resolved once stored. */
	async write(docName: string, origin: TransactionOrigin, edit: (doc: Y.Doc) => void): Promise<void> {
		const handle = await this.get(docName, origin);
		await this.#forgetOnError(docName, origin, async () => {
			await handle.transact(edit);
			await handle.whenDurable();
		});
	}

	/** A doc whose storage failed is closed: its handle is dropped so the next use opens the doc anew. */
	async #forgetOnError(docName: string, origin: TransactionOrigin, run: () => Promise<void>): Promise<void> {
		try {
			await run();
		} catch (error) {
			this.forget(docName, origin);
			throw error;
		}
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
