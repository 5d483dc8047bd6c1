import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Login attempts are limited per account (guessing one password) and per IP (spraying many accounts).
 * A successful login clears the account's count.
 */
export class LoginLimiter {
	readonly #perAccount = new RateLimiterMemory({ keyPrefix: 'login-account', points: 10, duration: 15 * 60 });
	readonly #perIp = new RateLimiterMemory({ keyPrefix: 'login-ip', points: 50, duration: 15 * 60 });

	/** Resolves when an attempt is allowed; otherwise returns the seconds to wait. */
	async take(email: string, ip: string): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
		try {
			await Promise.all([this.#perAccount.consume(email), this.#perIp.consume(ip)]);
			return { allowed: true };
		} catch (error) {
			if (error instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.ceil(error.msBeforeNext / 1000) };
			throw error;
		}
	}

	async succeeded(email: string): Promise<void> {
		await this.#perAccount.delete(email);
	}
}
