import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';

/** Which bound held an attempt back (the `limit` label of `frontdesk_limit_hits_total`). */
export type LoginLimit = 'login_account_address' | 'login_address';

export type LoginAttempt = { allowed: true } | { allowed: false; retryAfterSeconds: number; limit: LoginLimit };

interface Tier {
	/** Attempts allowed without any wait. */
	free: number;
	/** The longest wait, in seconds; past `free` each attempt doubles the wait up to it. */
	maxDelaySeconds: number;
	/** How long attempts are remembered, in seconds. */
	windowSeconds: number;
}

/** Guessing one account's password from one address: a few tries, then 1 s, 2 s, 4 s … up to 15 min. */
export const ACCOUNT_ADDRESS_TIER: Tier = { free: 5, maxDelaySeconds: 15 * 60, windowSeconds: 24 * 60 * 60 };
/** Spraying many accounts from one address (a whole clinic may share it): looser, and a shorter longest wait. */
export const ADDRESS_TIER: Tier = { free: 30, maxDelaySeconds: 60, windowSeconds: 60 * 60 };

/** Seconds to wait after the `attempts`-th attempt (0 while free). */
export function delayAfter(attempts: number, tier: Tier): number {
	if (attempts <= tier.free) return 0;
	return Math.min(tier.maxDelaySeconds, 2 ** Math.min(30, attempts - tier.free - 1));
}

const remainingMs = (res: RateLimiterRes | null): number => (res && res.consumedPoints > 1 ? res.msBeforeNext : 0);

/**
 * Login attempts only ever wait, never lock: the count is per (account, address), so an attacker elsewhere
 * cannot keep the right user out, and a looser per-address count slows password spraying across accounts.
 * Attempts are counted before the password is checked (parallel guesses count too); a success clears its
 * (account, address) count and gives its attempt back to the address.
 */
export class LoginLimiter {
	readonly #pairAttempts = new RateLimiterMemory({
		keyPrefix: 'login-pair',
		points: Number.MAX_SAFE_INTEGER,
		duration: ACCOUNT_ADDRESS_TIER.windowSeconds
	});
	readonly #addressAttempts = new RateLimiterMemory({
		keyPrefix: 'login-address',
		points: Number.MAX_SAFE_INTEGER,
		duration: ADDRESS_TIER.windowSeconds
	});
	/** Pending waits, set with `block`; one point, so a blocked key reads as consumed > 1. */
	readonly #waits = new RateLimiterMemory({ keyPrefix: 'login-wait', points: 1, duration: 1 });

	async take(email: string, address: string): Promise<LoginAttempt> {
		const pair = JSON.stringify([email, address]);
		const addressKey = JSON.stringify([address]);
		const [pairWait, addressWait] = (await Promise.all([this.#waits.get(pair), this.#waits.get(addressKey)])).map(remainingMs);
		if (pairWait > 0 || addressWait > 0) {
			return {
				allowed: false,
				retryAfterSeconds: Math.max(1, Math.ceil(Math.max(pairWait, addressWait) / 1000)),
				limit: pairWait >= addressWait ? 'login_account_address' : 'login_address'
			};
		}
		const [pairCount, addressCount] = await Promise.all([
			this.#pairAttempts.consume(pair),
			this.#addressAttempts.consume(addressKey)
		]);
		const pairDelay = delayAfter(pairCount.consumedPoints, ACCOUNT_ADDRESS_TIER);
		const addressDelay = delayAfter(addressCount.consumedPoints, ADDRESS_TIER);
		if (pairDelay > 0) await this.#waits.block(pair, pairDelay);
		if (addressDelay > 0) await this.#waits.block(addressKey, addressDelay);
		return { allowed: true };
	}

	async succeeded(email: string, address: string): Promise<void> {
		const pair = JSON.stringify([email, address]);
		await Promise.all([
			this.#pairAttempts.delete(pair),
			this.#waits.delete(pair),
			this.#addressAttempts.reward(JSON.stringify([address]), 1)
		]);
	}
}
