import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { blankSessionCookie, deviceSession, publicUser, sessionCookie } from '../auth/index.ts';
import { authedProcedure, publicProcedure, router } from './trpc.ts';

const loginInput = z.object({
	email: z.string().trim().min(1).max(254),
	password: z.string().min(1).max(1024)
});

export const authRouter = router({
	login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
		const { accounts, sessions, loginLimiter, logger } = ctx.deps;
		const email = input.email.toLowerCase();
		const attempt = await loginLimiter.take(email, ctx.ip);
		if (!attempt.allowed) {
			ctx.deps.metrics.limitHits.inc({ limit: attempt.limit });
			logger.warn({ ip: ctx.ip, limit: attempt.limit, retryAfterSeconds: attempt.retryAfterSeconds }, 'login attempt held back');
			ctx.res.setHeader('Retry-After', String(attempt.retryAfterSeconds));
			throw new TRPCError({
				code: 'TOO_MANY_REQUESTS',
				message: `too many attempts; try again in ${attempt.retryAfterSeconds} s`
			});
		}
		const user = await accounts.authenticate(email, input.password);
		if (!user) {
			logger.info({ ip: ctx.ip }, 'login failed');
			throw new TRPCError({ code: 'UNAUTHORIZED', message: 'wrong email or password' });
		}
		await loginLimiter.succeeded(email, ctx.ip);
		const { token, session } = await sessions.create(user.id, {
			ip: ctx.ip,
			userAgent: ctx.req.headers['user-agent'] ?? null
		});
		ctx.res.appendHeader('Set-Cookie', sessionCookie(token, ctx.secureCookies));
		logger.info({ userId: user.id, clinicId: user.clinicId }, 'signed in');
		return { user: publicUser(user), sessionExpiresAt: session.expiresAt };
	}),

	logout: authedProcedure.mutation(async ({ ctx }) => {
		await ctx.deps.sessions.end(ctx.auth.session.id);
		ctx.res.appendHeader('Set-Cookie', blankSessionCookie(ctx.secureCookies));
		return { ok: true as const };
	}),

	me: publicProcedure.query(({ ctx }) => (ctx.auth ? { user: publicUser(ctx.auth.user) } : { user: null })),

	sessions: authedProcedure.query(async ({ ctx }) => {
		const list = await ctx.deps.sessions.list(ctx.auth.user.id);
		return list.map((s) => deviceSession(s, ctx.auth.session.id));
	}),

	/** "Sign out all my other devices": every session of the caller but this one ends, their sockets close. */
	revokeOthers: authedProcedure.mutation(async ({ ctx }) => {
		const ended = await ctx.deps.sessions.endAllForUser(ctx.auth.user.id, ctx.auth.session.id);
		ctx.deps.logger.info({ userId: ctx.auth.user.id, ended }, 'other sessions revoked');
		return { ended };
	}),

	/** Ends one of the caller's own sessions: its sockets close at once, and that device wipes its data at next contact. */
	revoke: authedProcedure
		.input(z.object({ id: z.string().regex(/^[0-9a-f]{64}$/, 'not a session id') }))
		.mutation(async ({ ctx, input }) => {
			const own = await ctx.deps.sessions.list(ctx.auth.user.id);
			if (!own.some((s) => s.id === input.id)) throw new TRPCError({ code: 'NOT_FOUND', message: 'no such session' });
			await ctx.deps.sessions.end(input.id);
			if (input.id === ctx.auth.session.id) ctx.res.appendHeader('Set-Cookie', blankSessionCookie(ctx.secureCookies));
			return { ok: true as const };
		})
});
