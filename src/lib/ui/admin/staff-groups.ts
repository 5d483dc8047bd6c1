import type { StaffMember } from './admin-api.ts';

/** Where a person stands with their invitation: signed up, a link waiting for them, or a link that ran out. */
export type InvitationState = 'accepted' | 'pending' | 'expired';

export function invitationState(member: Pick<StaffMember, 'passwordSet' | 'invitation'>, now: number): InvitationState {
	if (member.passwordSet) return 'accepted';
	return member.invitation && member.invitation.expiresAt > now ? 'pending' : 'expired';
}

export interface StaffGroups {
	active: StaffMember[];
	deactivated: StaffMember[];
}

const byName = (a: StaffMember, b: StaffMember) => a.name.localeCompare(b.name, 'tr') || a.email.localeCompare(b.email);

/** Active staff first, then the deactivated (kept for history), each by name as the clinic reads it. */
export function groupStaff(members: readonly StaffMember[]): StaffGroups {
	return {
		active: members.filter((m) => m.active).sort(byName),
		deactivated: members.filter((m) => !m.active).sort(byName)
	};
}

/** The only active admin cannot lose the role or be deactivated: the server refuses it too, this says it first. */
export function isLastActiveAdmin(member: StaffMember, members: readonly StaffMember[]): boolean {
	return member.active && member.role === 'admin' && !members.some((m) => m.id !== member.id && m.active && m.role === 'admin');
}
