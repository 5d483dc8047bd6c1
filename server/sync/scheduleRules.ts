import { checkScheduleWrite, ScheduleRuleError } from '../../src/lib/domain/scheduleWriteRules.ts';
import { WriteRefused, type SyncHooks } from './hooks.ts';

/**
 * The schedule's rules on who may do what (SYNC-RULE-1), held by the server whatever a device sends: reception
 * deletes only what it booked, and nobody rewrites who booked an appointment.
 */
export const scheduleRules: SyncHooks = {
	writeRuleKinds: ['schedule'],
	checkWrite({ kind, transaction, identity }) {
		if (kind !== 'schedule') return;
		try {
			checkScheduleWrite(transaction, { userId: identity.userId, role: identity.role });
		} catch (error) {
			if (error instanceof ScheduleRuleError) throw new WriteRefused(error.message);
			throw error;
		}
	}
};
