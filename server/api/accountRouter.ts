import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { newPassword } from '../auth/index.ts';
import { authedProcedure, router } from './trpc.ts';

/** What every signed-in user does to their own account. */
export const accountRouter = router({
	/** The current password is required; the user's other sessions end (whoever knew the old one is out). */
	changePassword: authedProcedure
		.input(z.object({ current: z.string().min(1).max(1024), next: newPassword }))
		.mutation(async ({ ctx, input }) => {
			const { accounts, sessions, logger, loginLimiter } = ctx.deps;
			// Guessing the current password from a stolen session waits like guessing it at the login.
			const attempt = await loginLimiter.take(ctx.auth.user.email, ctx.ip);
			if (!attempt.allowed) {
				ctx.deps.metrics.limitHits.inc({ limit: attempt.limit });
				ctx.res.setHeader('Retry-After', String(attempt.retryAfterSeconds));
				throw new TRPCError({
					code: 'TOO_MANY_REQUESTS',
					message: `too many attempts; try again in ${attempt.retryAfterSeconds} s`
				});
			}
			if (!(await accounts.checkPassword(ctx.auth.user, input.current))) {
				logger.info({ userId: ctx.auth.user.id }, 'password change refused: wrong current password');
				throw new TRPCError({ code: 'FORBIDDEN', message: 'the current password is wrong' });
			}
			await loginLimiter.succeeded(ctx.auth.user.email, ctx.ip);
			await accounts.setPassword(ctx.auth.user.id, input.next);
			const endedOtherSessions = await sessions.endAllForUser(ctx.auth.user.id, ctx.auth.session.id);
			logger.info({ userId: ctx.auth.user.id, endedOtherSessions }, 'password changed');
			return { ok: true as const, endedOtherSessions };
		})
});
