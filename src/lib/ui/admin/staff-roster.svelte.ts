import { api } from '$lib/api/client.ts';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';
import type { DeviceSession, Invitation, Role, StaffMember } from './admin-api.ts';
import { adminError, type AdminAction } from './admin-errors.ts';
import type { InviteRequest } from './invite-form.ts';
import { groupStaff, isLastActiveAdmin } from './staff-groups.ts';

/** A link to pass on, with whom it is for. */
export interface IssuedInvitation extends Invitation {
	name: string;
	email: string;
}

/** Either what the call returned or the message to show; nothing on the device changes on failure. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; message: MessageKey };

/**
 * The clinic's staff as an admin manages them: the list from the server and each action on it. Every action
 * answers with the member as the server now has them, which replaces the old entry, so the list never guesses.
 */
export class StaffRoster {
	members = $state<StaffMember[] | null>(null);
	loadError = $state<MessageKey | null>(null);
	readonly groups = $derived(groupStaff(this.members ?? []));

	async load(): Promise<void> {
		try {
			this.members = await api.staff.list.query();
			this.loadError = null;
		} catch (error) {
			this.loadError = adminError(error, 'load');
		}
	}

	isLastActiveAdmin(member: StaffMember): boolean {
		return isLastActiveAdmin(member, this.members ?? []);
	}

	async invite(request: InviteRequest): Promise<Outcome<IssuedInvitation>> {
		const outcome = await attempt('invite', () => api.staff.invite.mutate(request));
		if (!outcome.ok) return outcome;
		this.#put(outcome.value.member);
		return { ok: true, value: { ...outcome.value.invitation, name: request.name, email: request.email } };
	}

	async reinvite(member: StaffMember): Promise<Outcome<IssuedInvitation>> {
		const outcome = await attempt('reinvite', () => api.staff.reinvite.mutate({ userId: member.id }));
		if (!outcome.ok) return outcome;
		// The list shows the new expiry; a failed reload only leaves the old one showing.
		void this.load();
		return { ok: true, value: { ...outcome.value, name: member.name, email: member.email } };
	}

	changeRole(member: StaffMember, role: Role, practitionerId: string | null): Promise<Outcome<StaffMember>> {
		return this.#update('changeRole', () =>
			api.staff.update.mutate({ userId: member.id, role, practitionerId: role === 'practitioner' ? practitionerId : null })
		);
	}

	deactivate(member: StaffMember): Promise<Outcome<StaffMember>> {
		return this.#update('deactivate', () => api.staff.deactivate.mutate({ userId: member.id }));
	}

	reactivate(member: StaffMember): Promise<Outcome<StaffMember>> {
		return this.#update('reactivate', () => api.staff.reactivate.mutate({ userId: member.id }));
	}

	async revokeDevice(member: StaffMember, device: DeviceSession): Promise<Outcome<unknown>> {
		const outcome = await attempt('revokeDevice', () => api.staff.revokeSession.mutate({ sessionId: device.id }));
		if (outcome.ok) this.#put({ ...member, sessions: member.sessions.filter((s) => s.id !== device.id) });
		return outcome;
	}

	async revokeAllDevices(member: StaffMember): Promise<Outcome<{ ended: number }>> {
		const outcome = await attempt('revokeDevice', () => api.staff.revokeAll.mutate({ userId: member.id }));
		if (outcome.ok) void this.load();
		return outcome;
	}

	async #update(action: AdminAction, call: () => Promise<StaffMember>): Promise<Outcome<StaffMember>> {
		const outcome = await attempt(action, call);
		if (outcome.ok) this.#put(outcome.value);
		return outcome;
	}

	#put(member: StaffMember): void {
		const members = this.members ?? [];
		this.members = members.some((m) => m.id === member.id)
			? members.map((m) => (m.id === member.id ? member : m))
			: [...members, member];
	}
}

async function attempt<T>(action: AdminAction, call: () => Promise<T>): Promise<Outcome<T>> {
	try {
		return { ok: true, value: await call() };
	} catch (error) {
		return { ok: false, message: adminError(error, action) };
	}
}
