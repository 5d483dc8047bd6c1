import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Sync tickets one session may mint per minute (each is a durable write); past it the caller waits. */
export class TicketLimiter {
	readonly #perSession: RateLimiterMemory;

	constructor(perMinute: number) {
		this.#perSession = new RateLimiterMemory({ keyPrefix: 'sync-ticket', points: perMinute, duration: 60 });
	}

	/** Null when a ticket may be issued now; otherwise the seconds to wait. */
	async take(sessionId: string): Promise<number | null> {
		try {
			await this.#perSession.consume(sessionId);
			return null;
		} catch (error) {
			if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
			throw error;
		}
	}
}
