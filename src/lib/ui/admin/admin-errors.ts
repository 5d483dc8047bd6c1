import { TRPCClientError } from '@trpc/client';
import { errorCode } from '$lib/api/client.ts';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';

/** What the person was doing when a call failed: the same code means different things in different places. */
export type AdminAction =
	| 'load'
	| 'invite'
	| 'reinvite'
	| 'changeRole'
	| 'deactivate'
	| 'reactivate'
	| 'revokeDevice'
	| 'changePassword'
	| 'inspectInvitation'
	| 'acceptInvitation'
	| 'figures';

/**
 * The message for a failed administration call. Server texts are never shown (English and technical); `fields` are
 * the inputs a BAD_REQUEST named.
 */
export function adminErrorMessage(code: string, action: AdminAction, fields: readonly string[] = []): MessageKey {
	switch (code) {
		case 'NETWORK':
			return 'admin.error.offline';
		case 'UNAUTHORIZED':
			return 'admin.error.signedOut';
		case 'TOO_MANY_REQUESTS':
			return 'admin.error.tooMany';
		case 'FORBIDDEN':
			return action === 'changePassword' ? 'account.password.wrongCurrent' : 'admin.error.forbidden';
		case 'CONFLICT':
			if (action === 'invite') return 'staff.error.emailTaken';
			if (action === 'changeRole' || action === 'deactivate') return 'staff.error.lastAdmin';
			if (action === 'reinvite') return 'staff.error.reactivateFirst';
			return 'admin.error.conflict';
		case 'NOT_FOUND':
			if (action === 'inspectInvitation' || action === 'acceptInvitation') return 'invite.error.unusable';
			return 'admin.error.gone';
		case 'BAD_REQUEST':
			if (action === 'inspectInvitation' || fields.includes('token')) return 'invite.error.unusable';
			// A password the server's rule refused (the form checks the same rule first, so this is a rule that moved).
			if (fields.includes('next') || fields.includes('password')) return 'admin.password.tooShort';
			return 'admin.error.invalid';
		default:
			return 'admin.error.failed';
	}
}

/** `adminErrorMessage` for a thrown tRPC error. */
export function adminError(error: unknown, action: AdminAction): MessageKey {
	return adminErrorMessage(errorCode(error), action, invalidFields(error));
}

/** The fields named by the server's validation (`data.validation.fieldErrors`), if any. */
function invalidFields(error: unknown): string[] {
	if (!(error instanceof TRPCClientError)) return [];
	const validation = (error.data as { validation?: { fieldErrors?: Record<string, unknown> } | null } | undefined)?.validation;
	return Object.keys(validation?.fieldErrors ?? {});
}
