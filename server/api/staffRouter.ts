import { inviteInput, sessionRef, staffChange, userRef } from '../auth/staff.ts';
import { adminProcedure, authedProcedure, refusalsAsErrors, router } from './trpc.ts';

/** A clinic's staff, for its admins: who works here, their roles and their signed-in devices. */
export const staffRouter = router({
	list: adminProcedure.query(({ ctx }) => ctx.deps.staff.list(ctx.auth.user, ctx.auth.session.id)),

	/** Every staff member's colleagues (active ones: id, name, role) for assigning and mentioning. */
	colleagues: authedProcedure.query(({ ctx }) => ctx.deps.staff.colleagues(ctx.auth.user)),

	invite: adminProcedure.input(inviteInput).mutation(async ({ ctx, input }) => {
		const result = await refusalsAsErrors(() => ctx.deps.staff.invite(ctx.auth.user, input));
		ctx.deps.logger.info({ adminId: ctx.auth.user.id, userId: result.member.id, role: input.role }, 'staff invited');
		return result;
	}),

	reinvite: adminProcedure.input(userRef).mutation(async ({ ctx, input }) => {
		const invitation = await refusalsAsErrors(() => ctx.deps.staff.reinvite(ctx.auth.user, input.userId));
		ctx.deps.logger.info({ adminId: ctx.auth.user.id, userId: input.userId }, 'staff invitation renewed');
		return invitation;
	}),

	update: adminProcedure.input(staffChange).mutation(async ({ ctx, input }) => {
		const member = await refusalsAsErrors(() => ctx.deps.staff.update(ctx.auth.user, input));
		ctx.deps.logger.info({ adminId: ctx.auth.user.id, userId: input.userId, role: member.role }, 'staff changed');
		return member;
	}),

	deactivate: adminProcedure.input(userRef).mutation(async ({ ctx, input }) => {
		const member = await refusalsAsErrors(() => ctx.deps.staff.deactivate(ctx.auth.user, input.userId));
		ctx.deps.logger.info({ adminId: ctx.auth.user.id, userId: input.userId }, 'staff deactivated');
		return member;
	}),

	reactivate: adminProcedure.input(userRef).mutation(async ({ ctx, input }) => {
		const member = await refusalsAsErrors(() => ctx.deps.staff.reactivate(ctx.auth.user, input.userId));
		ctx.deps.logger.info({ adminId: ctx.auth.user.id, userId: input.userId }, 'staff reactivated');
		return member;
	}),

	revokeSession: adminProcedure.input(sessionRef).mutation(async ({ ctx, input }) => {
		await refusalsAsErrors(() => ctx.deps.staff.revokeSession(ctx.auth.user, input.sessionId));
		ctx.deps.logger.info({ adminId: ctx.auth.user.id }, 'staff session revoked');
		return { ok: true as const };
	}),

	revokeAll: adminProcedure.input(userRef).mutation(async ({ ctx, input }) => {
		const ended = await refusalsAsErrors(() => ctx.deps.staff.revokeAll(ctx.auth.user, input.userId));
		ctx.deps.logger.info({ adminId: ctx.auth.user.id, userId: input.userId, ended }, 'staff sessions revoked');
		return { ended };
	})
});
