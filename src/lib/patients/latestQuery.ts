import { liveQuery, type Subscription } from 'dexie';

/** What a query told to stop answers: Dexie's `liveQuery` passes on no `AbortError`, so it must not throw one. */
const STOPPED = Symbol('stopped');

/**
 * A live query (Dexie's `liveQuery`) of what a screen asks for now, one at a time, the latest winning. A query asked
 * for while the one before has not answered yet aborts that one and starts once it stopped; a query asked for
 * meanwhile by a later one is never run, and no overtaken query's answer is given. Someone typing fast asks for a
 * search per key: the device works on the one under way and the last, never on a pile of them.
 */
export class LatestQuery<Q, R> {
	readonly #run: (query: Q, signal: AbortSignal) => Promise<R>;
	readonly #answer: (query: Q, result: R) => void;
	readonly #fail: (query: Q, error: unknown) => void;
	#subscription: Subscription | null = null;
	#controller: AbortController | null = null;
	/** The query subscribed to has not given its first answer yet. */
	#busy = false;
	/** Asked for while another was busy: starts when that one stops. */
	#waiting: { query: Q } | null = null;
	#destroyed = false;

	constructor(
		run: (query: Q, signal: AbortSignal) => Promise<R>,
		answer: (query: Q, result: R) => void,
		fail: (query: Q, error: unknown) => void
	) {
		this.#run = run;
		this.#answer = answer;
		this.#fail = fail;
	}

	ask(query: Q): void {
		if (this.#destroyed) return;
		this.#waiting = { query };
		if (this.#busy) this.#controller?.abort();
		else this.#start();
	}

	destroy(): void {
		this.#destroyed = true;
		this.#waiting = null;
		this.#controller?.abort();
		this.#subscription?.unsubscribe();
	}

	#start(): void {
		const waiting = this.#waiting;
		this.#waiting = null;
		this.#controller?.abort();
		this.#subscription?.unsubscribe();
		if (!waiting || this.#destroyed) return;
		const { query } = waiting;
		const controller = (this.#controller = new AbortController());
		this.#busy = true;
		// On the first answer (or error) the query stops being busy: a query asked for meanwhile starts instead.
		const overtaken = (): boolean => {
			if (this.#controller !== controller) return true;
			if (!this.#busy) return false;
			this.#busy = false;
			if (!this.#waiting) return false;
			this.#start();
			return true;
		};
		const run = (): Promise<R | typeof STOPPED> =>
			this.#run(query, controller.signal).catch((error: unknown) => {
				if (controller.signal.aborted) return STOPPED;
				throw error;
			});
		this.#subscription = liveQuery(run).subscribe({
			next: (result) => {
				if (!overtaken() && result !== STOPPED) this.#answer(query, result);
			},
			error: (error: unknown) => {
				if (!overtaken()) this.#fail(query, error);
			}
		});
	}
}
