import { z } from 'zod';
import { docNames } from '../../src/lib/domain/docName.ts';
import { MONTH_PATTERN } from '../../src/lib/domain/kinds.ts';
import { listAppointments } from '../../src/lib/domain/schedule.ts';
import { roleProcedure, router } from './trpc.ts';

export interface StaffFigure {
	practitionerId: string;
	appointments: number;
	minutes: number;
}

/**
 * Figures computed on the server, so a role that may not see them never receives them: staff figures are for
 * admins and practitioners, not reception (who can read the schedule itself, but not these sums per person).
 */
export const reportsRouter = router({
	staffFigures: roleProcedure('admin', 'practitioner')
		.input(z.object({ month: z.string().regex(MONTH_PATTERN, 'not a month (yyyy-mm)') }))
		.query(async ({ ctx, input }) => {
			const appointments = await ctx.deps.docs.read(docNames.schedule(ctx.auth.user.clinicId, input.month), (doc) =>
				listAppointments(doc)
			);
			const figures = new Map<string, StaffFigure>();
			for (const a of appointments) {
				if ('status' in a && a.status === 'cancelled') continue;
				const f = figures.get(a.practitionerId) ?? { practitionerId: a.practitionerId, appointments: 0, minutes: 0 };
				f.appointments++;
				f.minutes += a.durationMinutes;
				figures.set(a.practitionerId, f);
			}
			return [...figures.values()];
		})
});
