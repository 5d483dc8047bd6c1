import { checkNoteWrite, NoteRuleError } from '../../src/lib/domain/noteWriteRules.ts';
import { WriteRefused, type SyncHooks } from './hooks.ts';

/** The notes' lock (NOTES-SIGN-1), held by the server whatever a device sends: a signed note never changes. */
export const noteRules: SyncHooks = {
	writeRuleKinds: ['note', 'memo'],
	checkWrite({ kind, transaction, identity }) {
		if (kind !== 'note' && kind !== 'memo') return;
		try {
			checkNoteWrite(transaction, kind, { userId: identity.userId, role: identity.role });
		} catch (error) {
			if (error instanceof NoteRuleError) throw new WriteRefused(error.message);
			throw error;
		}
	}
};
