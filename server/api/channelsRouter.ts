import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { AccountTakenError, connectInput, type ChannelAccounts } from '../channels/index.ts';
import { adminProcedure, router } from './trpc.ts';

declare module './trpc.ts' {
	interface ApiDeps {
		/** The clinic's channel accounts (server/channels). */
		channels: ChannelAccounts;
	}
}

const accountRef = z.object({ provider: z.enum(['whatsapp', 'instagram', 'phone']), externalId: z.string().min(1).max(64) });

/** A clinic's connected channels, for its admins (CHAN-ACCOUNT-2): tokens go in, never out. */
export const channelsRouter = router({
	list: adminProcedure.query(({ ctx }) => ctx.deps.channels.list(ctx.auth.user.clinicId)),

	connect: adminProcedure.input(connectInput).mutation(async ({ ctx, input }) => {
		try {
			const account = await ctx.deps.channels.connect(ctx.auth.user.clinicId, input);
			ctx.deps.logger.info({ adminId: ctx.auth.user.id, provider: account.provider }, 'channel connected');
			return account;
		} catch (error) {
			if (error instanceof AccountTakenError) throw new TRPCError({ code: 'CONFLICT', message: error.message });
			throw error;
		}
	}),

	disconnect: adminProcedure.input(accountRef).mutation(async ({ ctx, input }) => {
		const removed = await ctx.deps.channels.disconnect(ctx.auth.user.clinicId, input.provider, input.externalId);
		if (!removed) throw new TRPCError({ code: 'NOT_FOUND', message: 'no such channel' });
		ctx.deps.logger.info({ adminId: ctx.auth.user.id, provider: input.provider }, 'channel disconnected');
		return { ok: true as const };
	})
});
