import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_ADDRESS_TIER, ADDRESS_TIER, delayAfter, LoginLimiter } from '../../server/auth/loginLimiter.ts';

// Rules HTTP-LOGIN-* of docs/spec/http.md, on a fake clock.

beforeEach(() => {
	vi.useFakeTimers({ now: Date.UTC(2026, 10, 25, 9, 0, 0) });
});

afterEach(() => {
	vi.useRealTimers();
});

/** Takes attempts until one is held back; returns how many were allowed and the wait. */
async function untilHeld(limiter: LoginLimiter, email: string, address: string) {
	for (let allowed = 0; allowed < 1000; allowed++) {
		const attempt = await limiter.take(email, address);
		if (!attempt.allowed) return { allowed, attempt };
	}
	throw new Error('never held back');
}

describe('HTTP-LOGIN-1: per (account, address), growing waits and never a lockout', () => {
	it('HTTP-LOGIN-1: waits double after the free attempts, up to 15 minutes', () => {
		const waits = Array.from({ length: 20 }, (_, i) => delayAfter(i + 1, ACCOUNT_ADDRESS_TIER));
		expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
		expect(waits.slice(5, 11)).toEqual([1, 2, 4, 8, 16, 32]);
		expect(Math.max(...waits)).toBe(15 * 60);
		expect(delayAfter(10_000, ACCOUNT_ADDRESS_TIER)).toBe(15 * 60);
	});

	it('HTTP-LOGIN-1: a waiting attacker sees Retry-After grow, and the right user elsewhere is never held', async () => {
		const limiter = new LoginLimiter();
		const seen: number[] = [];
		for (let round = 0; round < 14; round++) {
			const { attempt } = await untilHeld(limiter, 'dr@example.com', '203.0.113.7');
			if (attempt.allowed) throw new Error('unreachable');
			expect(attempt.limit).toBe('login_account_address');
			seen.push(attempt.retryAfterSeconds);
			// The right user, at another address, every round.
			expect(await limiter.take('dr@example.com', '198.51.100.20')).toEqual({ allowed: true });
			await limiter.succeeded('dr@example.com', '198.51.100.20');
			vi.advanceTimersByTime(attempt.retryAfterSeconds * 1000);
		}
		expect(seen).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]);
	});

	it('HTTP-LOGIN-1: a success clears the count of its (account, address)', async () => {
		const limiter = new LoginLimiter();
		for (let i = 0; i < ACCOUNT_ADDRESS_TIER.free; i++)
			expect((await limiter.take('a@example.com', '10.0.0.1')).allowed).toBe(true);
		await limiter.succeeded('a@example.com', '10.0.0.1');
		const { allowed } = await untilHeld(limiter, 'a@example.com', '10.0.0.1');
		expect(allowed).toBe(ACCOUNT_ADDRESS_TIER.free + 1);
	});
});

describe('HTTP-LOGIN-2: per address across accounts', () => {
	it('HTTP-LOGIN-2: spraying many accounts waits after 30 attempts, at most a minute; successes give theirs back', async () => {
		const limiter = new LoginLimiter();
		for (let i = 0; i < 10; i++) {
			expect((await limiter.take(`staff${i}@example.com`, '10.0.0.9')).allowed).toBe(true);
			await limiter.succeeded(`staff${i}@example.com`, '10.0.0.9');
		}
		let allowed = 0;
		let held = null;
		for (let i = 0; i < 100 && !held; i++) {
			const attempt = await limiter.take(`nobody${i}@example.com`, '10.0.0.9');
			if (attempt.allowed) allowed++;
			else held = attempt;
		}
		expect(allowed).toBe(ADDRESS_TIER.free + 1);
		expect(held).toMatchObject({ allowed: false, limit: 'login_address', retryAfterSeconds: 1 });
		// Other addresses are untouched.
		expect((await limiter.take('nobody0@example.com', '10.0.0.10')).allowed).toBe(true);
		for (let i = 0; i < 20; i++) {
			vi.advanceTimersByTime(60_000);
			const attempt = await limiter.take(`more${i}@example.com`, '10.0.0.9');
			expect(attempt.allowed).toBe(true);
		}
		expect(delayAfter(1000, ADDRESS_TIER)).toBe(60);
	});
});
