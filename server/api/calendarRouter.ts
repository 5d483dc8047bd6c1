import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { CalendarRefusal, type CalendarConnections, type Caller } from '../calendar/connections.ts';
import { roleProcedure, router } from './trpc.ts';

declare module './trpc.ts' {
	interface ApiDeps {
		/** Practitioners' Google Calendars (server/calendar). */
		calendar: CalendarConnections;
	}
}

const practitioner = z.object({ practitionerId: z.string().min(1).max(64) });
const pick = practitioner.extend({ calendarId: z.string().trim().min(1).max(256) });

/** Admins and practitioners: reception has no calendar of its own to connect. */
const calendarProcedure = roleProcedure('admin', 'practitioner');

const callerOf = (user: { id: string; clinicId: string; role: Caller['role']; practitionerId: string | null }): Caller => ({
	id: user.id,
	clinicId: user.clinicId,
	role: user.role,
	practitionerId: user.practitionerId
});

async function refusals<T>(call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (error) {
		if (error instanceof CalendarRefusal) throw new TRPCError({ code: error.code, message: error.message });
		throw error;
	}
}

/** Connecting practitioners' Google Calendars (SCHEDULE-GOOGLE-1): tokens go in through Google, never out. */
export const calendarRouter = router({
	status: calendarProcedure.query(({ ctx }) => ctx.deps.calendar.status(callerOf(ctx.auth.user))),

	connectUrl: calendarProcedure
		.input(practitioner)
		.mutation(({ ctx, input }) =>
			refusals(async () => ({ url: await ctx.deps.calendar.connectUrl(callerOf(ctx.auth.user), input.practitionerId) }))
		),

	calendars: calendarProcedure
		.input(practitioner)
		.query(({ ctx, input }) => refusals(() => ctx.deps.calendar.calendars(callerOf(ctx.auth.user), input.practitionerId))),

	pick: calendarProcedure.input(pick).mutation(({ ctx, input }) =>
		refusals(async () => {
			await ctx.deps.calendar.pick(callerOf(ctx.auth.user), input.practitionerId, input.calendarId);
			return { ok: true as const };
		})
	),

	disconnect: calendarProcedure.input(practitioner).mutation(({ ctx, input }) =>
		refusals(async () => {
			if (!(await ctx.deps.calendar.disconnect(callerOf(ctx.auth.user), input.practitionerId)))
				throw new TRPCError({ code: 'NOT_FOUND', message: 'no calendar connected for this practitioner' });
			return { ok: true as const };
		})
	)
});
