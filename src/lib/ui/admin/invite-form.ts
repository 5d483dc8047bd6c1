import { z } from 'zod';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';
import { ROLES, type Role } from './admin-api.ts';

const inviteForm = z.object({
	name: z.string().trim().min(1).max(200),
	email: z.string().trim().toLowerCase().pipe(z.email().max(254)),
	role: z.enum(ROLES),
	practitionerId: z.string().min(1).max(64).nullable()
});

export type InviteField = 'name' | 'email' | 'role' | 'practitionerId';

export interface InviteRequest {
	name: string;
	email: string;
	role: Role;
	/** Only a practitioner is a directory entry; anyone else's link is dropped. */
	practitionerId: string | null;
}

const FIELD_MESSAGES: Record<InviteField, MessageKey> = {
	name: 'staff.invite.nameRequired',
	email: 'staff.invite.emailInvalid',
	role: 'staff.invite.roleRequired',
	practitionerId: 'staff.invite.practitionerInvalid'
};

export type InviteParse = { ok: true; request: InviteRequest } | { ok: false; errors: Partial<Record<InviteField, MessageKey>> };

/** The invite form's fields as the server will take them, or a message per wrong field. */
export function parseInviteForm(fields: {
	name: string;
	email: string;
	role: string;
	practitionerId: string | null;
}): InviteParse {
	const result = inviteForm.safeParse(fields);
	if (!result.success) {
		const errors: Partial<Record<InviteField, MessageKey>> = {};
		for (const issue of result.error.issues) {
			const field = issue.path[0] as InviteField;
			errors[field] ??= FIELD_MESSAGES[field];
		}
		return { ok: false, errors };
	}
	const value = result.data;
	return { ok: true, request: { ...value, practitionerId: value.role === 'practitioner' ? value.practitionerId : null } };
}
