import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { parseDocName } from '../../src/lib/domain/docName.ts';
import { refuseDoc } from '../auth/index.ts';
import { authedProcedure, router } from './trpc.ts';

export const syncRouter = router({
	/** A single-use, 60-second ticket to open one doc's socket where the cookie cannot be sent. */
	ticket: authedProcedure
		.input(
			z.object({
				doc: z
					.string()
					.min(1)
					.max(200)
					.refine((d) => parseDocName(d) !== null, 'not a valid doc name')
			})
		)
		.mutation(async ({ ctx, input }) => {
			const doc = parseDocName(input.doc)!;
			const { user, session } = ctx.auth;
			const wait = await ctx.deps.ticketLimiter.take(session.id);
			if (wait !== null) {
				ctx.deps.metrics.limitHits.inc({ limit: 'sync_tickets_per_minute' });
				ctx.deps.logger.warn({ userId: user.id, retryAfterSeconds: wait }, 'sync tickets over the limit');
				ctx.res.setHeader('Retry-After', String(wait));
				throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `too many tickets; try again in ${wait} s` });
			}
			if (refuseDoc(user, doc)) {
				throw new TRPCError({ code: 'FORBIDDEN', message: 'you may not open this doc' });
			}
			return { ticket: await ctx.deps.tickets.issue(session.id, input.doc) };
		})
});
