import { TRPCError } from '@trpc/server';
import { acceptInput, invitationToken } from '../auth/staff.ts';
import { publicUser, sessionCookie } from '../auth/index.ts';
import { publicProcedure, router } from './trpc.ts';

const GONE = 'this invitation link is unknown, used or expired: ask your clinic’s admin for a new one';

/** The invitation link's page: no session, the link is the credential (single use, with an expiry). */
export const invitationRouter = router({
	inspect: publicProcedure.input(invitationToken).query(async ({ ctx, input }) => {
		const invitation = await ctx.deps.invitations.inspect(input.token);
		if (!invitation) throw new TRPCError({ code: 'NOT_FOUND', message: GONE });
		return invitation;
	}),

	/** Sets the person's password and signs them in on this device. */
	accept: publicProcedure.input(acceptInput).mutation(async ({ ctx, input }) => {
		const user = await ctx.deps.invitations.accept(input.token, input.password);
		if (!user) {
			ctx.deps.logger.info({ ip: ctx.ip }, 'invitation refused');
			throw new TRPCError({ code: 'NOT_FOUND', message: GONE });
		}
		const { token, session } = await ctx.deps.sessions.create(user.id, {
			ip: ctx.ip,
			userAgent: ctx.req.headers['user-agent'] ?? null
		});
		ctx.res.appendHeader('Set-Cookie', sessionCookie(token, ctx.secureCookies));
		ctx.deps.logger.info({ userId: user.id, clinicId: user.clinicId }, 'invitation accepted, signed in');
		return { user: publicUser(user), sessionExpiresAt: session.expiresAt };
	})
});
