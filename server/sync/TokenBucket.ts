/**
 * A token bucket small enough to keep one per socket per kind of message: two numbers and a timestamp.
 * (A keyed limiter such as rate-limiter-flexible keeps a record and a timer per key, which 100,000 sockets
 * cannot afford; its place is per session or per address.)
 */
export class TokenBucket {
	#tokens: number;
	#last: number;
	readonly #capacity: number;
	readonly #perMs: number;

	constructor(capacity: number, perSecond: number, now = performance.now()) {
		this.#capacity = capacity;
		this.#tokens = capacity;
		this.#perMs = perSecond / 1000;
		this.#last = now;
	}

	/** Takes `n` tokens if there are that many; false means the caller is over its rate. */
	take(n = 1, now = performance.now()): boolean {
		this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#perMs);
		this.#last = now;
		if (this.#tokens < n) return false;
		this.#tokens -= n;
		return true;
	}
}
