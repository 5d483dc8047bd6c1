import { docNames } from '$lib/domain/docName.ts';
import { readEntries } from '$lib/domain/thread.ts';
import type { DocHandle } from '$lib/local/DocHandles.ts';
import type { FrontdeskDatabase } from '$lib/local/index.ts';

/** Threads kept ready on the device: their messages on disk for offline, their words in the search. */
export const RECENT_THREADS = 300;
/** Threads fetched at once: each is a channel of the one socket and a doc the server loads. */
const AT_ONCE = 4;
/** A thread that does not catch up within this long (the network went) is tried at the next run. */
const GIVE_UP_MS = 15_000;

export interface RecentThreadsSync {
	acquire(name: string): DocHandle;
	whenSynced(name: string): Promise<void>;
}

/**
 * Keeps the most recent threads (INBOX-READY-1) ready on the device: each thread with activity the device has not
 * fetched is opened briefly, caught up with the server (over the shared socket, only what the device lacks), its
 * messages' words added to the search, and released. A mark per thread (its last activity when fetched) makes
 * the next run skip what did not change.
 */
export class RecentThreads {
	readonly #db: FrontdeskDatabase;
	readonly #sync: RecentThreadsSync;
	readonly #clinicId: string;
	readonly #indexMessages: (threadId: string, texts: readonly string[]) => Promise<void>;
	#running: Promise<void> | null = null;
	#again = false;
	#stopped = false;

	constructor(
		db: FrontdeskDatabase,
		sync: RecentThreadsSync,
		clinicId: string,
		indexMessages: (threadId: string, texts: readonly string[]) => Promise<void>
	) {
		this.#db = db;
		this.#sync = sync;
		this.#clinicId = clinicId;
		this.#indexMessages = indexMessages;
	}

	/** Brings the recent threads up to date; a call during a run makes one more run after it. */
	refresh(): Promise<void> {
		if (this.#running) {
			this.#again = true;
			return this.#running;
		}
		const run = (this.#running = this.#run().finally(() => {
			this.#running = null;
			if (this.#again && !this.#stopped) {
				this.#again = false;
				void this.refresh();
			}
		}));
		return run;
	}

	stop(): void {
		this.#stopped = true;
	}

	async #run(): Promise<void> {
		const rows = await this.#db.threadRows.orderBy('recency').limit(RECENT_THREADS).toArray();
		const marks = await this.#db.indexMarks.bulkGet(rows.map((r) => markName(r.id)));
		const due = rows.filter((row, i) => marks[i]?.state !== row.lastMessageAt);
		const next = () => due.shift();
		const worker = async () => {
			for (let row = next(); row && !this.#stopped; row = next()) await this.#fetch(row.id, row.lastMessageAt);
		};
		await Promise.all(Array.from({ length: AT_ONCE }, worker));
	}

	async #fetch(threadId: string, lastMessageAt: string): Promise<void> {
		const name = docNames.thread(this.#clinicId, threadId);
		const handle = this.#sync.acquire(name);
		let timer: ReturnType<typeof setTimeout> | undefined;
		let onUpdate = () => {};
		try {
			await handle.loaded;
			// Caught up with the server, and holding the message the list shows last: the inbox's summary can reach the
			// device before the thread's own doc has it stored on the server.
			const hasLatest = () => readEntries(handle.doc).some((e) => e.at >= lastMessageAt);
			const ready = this.#sync.whenSynced(name).then(
				() =>
					hasLatest() ||
					new Promise<true>((resolve) => {
						onUpdate = () => hasLatest() && resolve(true);
						handle.doc.on('update', onUpdate);
					})
			);
			const caughtUp = await Promise.race([
				ready,
				new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), GIVE_UP_MS)))
			]);
			if (!caughtUp || this.#stopped) return;
			const texts = readEntries(handle.doc)
				.map((e) => e.text)
				.filter((t) => t.length > 0);
			if (texts.length > 0) await this.#indexMessages(threadId, texts);
			await this.#db.indexMarks.put({ name: markName(threadId), state: lastMessageAt });
		} finally {
			clearTimeout(timer);
			handle.doc.off('update', onUpdate);
			handle.release();
		}
	}
}

const markName = (threadId: string) => `thread:${threadId}`;
