import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { parseDocName } from '../../src/lib/domain/docName.ts';
import { mayOpenDoc } from '../../src/lib/domain/roles.ts';
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
			if (doc.clinicId !== user.clinicId || !mayOpenDoc(user.role, doc.kind)) {
				throw new TRPCError({ code: 'FORBIDDEN', message: 'you may not open this doc' });
			}
			return { ticket: await ctx.deps.tickets.issue(session.id, input.doc) };
		})
});
