import { z } from 'zod';
import type { SessionRow, Store, UserChange, UserRow } from '../store/index.ts';
import { ID_PATTERN } from '../../src/lib/domain/kinds.ts';
import { ROLES } from '../../src/lib/domain/roles.ts';
import { AccountError, type Accounts } from './accounts.ts';
import { newPassword } from './passwords.ts';
import type { Sessions } from './sessions.ts';
import { generateToken, hashToken } from './tokens.ts';

/** Why an administration request was refused; the API turns `code` into its error code. */
export class AdminRefusal extends Error {
	override name = 'AdminRefusal';
	constructor(
		readonly code: 'NOT_FOUND' | 'CONFLICT',
		message: string
	) {
		super(message);
	}
}

export const LAST_ADMIN_MESSAGE = 'a clinic keeps at least one active admin';

const userId = z.string().regex(/^[0-9a-z]{1,64}$/, 'not a user id');
const practitionerId = z.string().regex(ID_PATTERN, 'not a practitioner id').nullable();

export const inviteInput = z.object({
	name: z.string().trim().min(1).max(200),
	email: z
		.email()
		.max(254)
		.transform((e) => e.toLowerCase()),
	role: z.enum(ROLES),
	practitionerId: practitionerId.optional()
});
export const userRef = z.object({ userId });
export const staffChange = z.object({
	userId,
	name: z.string().trim().min(1).max(200).optional(),
	role: z.enum(ROLES).optional(),
	practitionerId: practitionerId.optional()
});
export const sessionRef = z.object({ sessionId: z.string().regex(/^[0-9a-f]{64}$/, 'not a session id') });
export const invitationToken = z.object({ token: z.string().regex(/^[0-9a-z]{20,64}$/, 'not an invitation link') });
export const acceptInput = invitationToken.extend({ password: newPassword });

/** A signed-in device as staff see it. */
export interface DeviceSession {
	id: string;
	/** The browser's user agent, as it sent it. */
	device: string | null;
	ip: string | null;
	createdAt: number;
	lastSeenAt: number;
	current: boolean;
}

/** A colleague as any staff member sees them. */
export interface Colleague {
	id: string;
	name: string;
	role: UserRow['role'];
}

export interface StaffMember {
	id: string;
	name: string;
	email: string;
	role: UserRow['role'];
	active: boolean;
	practitionerId: string | null;
	passwordSet: boolean;
	invitation: { expiresAt: number } | null;
	createdAt: number;
	sessions: DeviceSession[];
}

export interface Invitation {
	/** Goes into the link only; the store keeps its hash. */
	token: string;
	expiresAt: number;
}

export const deviceSession = (s: SessionRow, currentId: string | null): DeviceSession => ({
	id: s.id,
	device: s.userAgent,
	ip: s.ip,
	createdAt: s.createdAt,
	lastSeenAt: s.lastSeenAt,
	current: s.id === currentId
});

/**
 * What a clinic's admin does to its staff: invite, change, deactivate, and end their sessions. Every method takes
 * the acting admin and touches only users of the admin's own clinic (another clinic's user is "not found"). The
 * API checks the admin role before calling; the rule that a clinic keeps an active admin is kept by the store in
 * the same transaction as the change.
 */
export class StaffAdmin {
	readonly #store: Pick<Store, 'users' | 'sessions' | 'invitations' | 'clinics'>;
	readonly #accounts: Accounts;
	readonly #sessions: Sessions;
	readonly #invitationTtlMs: number;
	readonly #now: () => number;

	constructor(
		store: Pick<Store, 'users' | 'sessions' | 'invitations' | 'clinics'>,
		accounts: Accounts,
		sessions: Sessions,
		opts: { invitationTtlMs: number; now?: () => number }
	) {
		this.#store = store;
		this.#accounts = accounts;
		this.#sessions = sessions;
		this.#invitationTtlMs = opts.invitationTtlMs;
		this.#now = opts.now ?? Date.now;
	}

	/**
	 * The clinic's active staff as every colleague may see them (to assign a conversation, to mention someone):
	 * ids, names and roles only, no emails or devices.
	 */
	async colleagues(user: UserRow): Promise<Colleague[]> {
		const users = await this.#store.users.listForClinic(user.clinicId);
		return users
			.filter((u) => u.active)
			.map((u) => ({ id: u.id, name: u.name, role: u.role }))
			.sort((a, b) => a.name.localeCompare(b.name, 'tr'));
	}

	async list(admin: UserRow, currentSessionId: string | null): Promise<StaffMember[]> {
		const users = await this.#store.users.listForClinic(admin.clinicId);
		const pending = await this.#store.invitations.pendingFor(
			users.map((u) => u.id),
			this.#now()
		);
		const members: StaffMember[] = [];
		for (const u of users) {
			const sessions = u.active ? await this.#sessions.list(u.id) : [];
			members.push(this.#member(u, pending.get(u.id)?.expiresAt ?? null, sessions, currentSessionId));
		}
		return members;
	}

	async invite(admin: UserRow, input: z.input<typeof inviteInput>): Promise<{ member: StaffMember; invitation: Invitation }> {
		const i = inviteInput.parse(input);
		let created;
		try {
			created = await this.#accounts.createUser({
				clinicId: admin.clinicId,
				email: i.email,
				name: i.name,
				role: i.role,
				practitionerId: i.role === 'practitioner' ? (i.practitionerId ?? null) : null
			});
		} catch (error) {
			if (error instanceof AccountError) throw new AdminRefusal('CONFLICT', 'a user with this email already exists');
			throw error;
		}
		const invitation = await this.#newInvitation(created.id, admin.id);
		const user = await this.#user(admin, created.id);
		return { member: this.#member(user, invitation.expiresAt, [], null), invitation };
	}

	/** A new link for a user (lost link, forgotten password): earlier links stop working; a set password stays until replaced. */
	async reinvite(admin: UserRow, id: string): Promise<Invitation> {
		const user = await this.#user(admin, id);
		if (!user.active) throw new AdminRefusal('CONFLICT', 'reactivate the user first');
		return this.#newInvitation(user.id, admin.id);
	}

	async update(admin: UserRow, input: z.input<typeof staffChange>): Promise<StaffMember> {
		const c = staffChange.parse(input);
		const user = await this.#user(admin, c.userId);
		const role = c.role ?? user.role;
		const change: UserChange = {
			name: c.name,
			role: c.role,
			// Only a practitioner is a directory practitioner.
			practitionerId: role === 'practitioner' ? c.practitionerId : null
		};
		await this.#change(user, change);
		if (role !== user.role) await this.#sessions.accessChanged(user.id);
		return this.#memberOf(admin, user.id);
	}

	/** The user cannot sign in any more; their sessions end now, so their sockets close and their devices wipe. */
	async deactivate(admin: UserRow, id: string): Promise<StaffMember> {
		const user = await this.#user(admin, id);
		await this.#change(user, { active: false });
		await this.#sessions.endAllForUser(user.id);
		await this.#store.invitations.deleteForUser(user.id);
		return this.#memberOf(admin, user.id);
	}

	async reactivate(admin: UserRow, id: string): Promise<StaffMember> {
		const user = await this.#user(admin, id);
		await this.#change(user, { active: true });
		return this.#memberOf(admin, user.id);
	}

	/** Ends one session of any staff member of the admin's clinic. */
	async revokeSession(admin: UserRow, sessionId: string): Promise<void> {
		const session = await this.#store.sessions.get(sessionId);
		const owner = session ? await this.#store.users.getById(session.userId) : null;
		if (!session || owner?.clinicId !== admin.clinicId) throw new AdminRefusal('NOT_FOUND', 'no such session');
		await this.#sessions.end(session.id);
	}

	async revokeAll(admin: UserRow, id: string): Promise<number> {
		const user = await this.#user(admin, id);
		return this.#sessions.endAllForUser(user.id);
	}

	async #change(user: UserRow, change: UserChange): Promise<void> {
		const result = await this.#store.users.updateKeepingAnAdmin(user.id, change);
		if (result === 'not-found') throw new AdminRefusal('NOT_FOUND', 'no such user');
		if (result === 'no-admin-left') throw new AdminRefusal('CONFLICT', LAST_ADMIN_MESSAGE);
	}

	async #user(admin: UserRow, id: string): Promise<UserRow> {
		const user = await this.#store.users.getById(id);
		// Another clinic's user is not found: ids of other clinics are not confirmed to exist.
		if (!user || user.clinicId !== admin.clinicId) throw new AdminRefusal('NOT_FOUND', 'no such user');
		return user;
	}

	async #memberOf(admin: UserRow, id: string): Promise<StaffMember> {
		const user = await this.#user(admin, id);
		const pending = await this.#store.invitations.pendingFor([user.id], this.#now());
		const sessions = user.active ? await this.#sessions.list(user.id) : [];
		return this.#member(user, pending.get(user.id)?.expiresAt ?? null, sessions, null);
	}

	#member(u: UserRow, invitationExpiresAt: number | null, sessions: SessionRow[], currentSessionId: string | null): StaffMember {
		return {
			id: u.id,
			name: u.name,
			email: u.email,
			role: u.role,
			active: u.active,
			practitionerId: u.practitionerId,
			passwordSet: u.passwordHash !== '',
			invitation: invitationExpiresAt === null ? null : { expiresAt: invitationExpiresAt },
			createdAt: u.createdAt,
			sessions: sessions.map((s) => deviceSession(s, currentSessionId))
		};
	}

	async #newInvitation(userId: string, createdBy: string): Promise<Invitation> {
		const token = generateToken();
		const now = this.#now();
		const expiresAt = now + this.#invitationTtlMs;
		await this.#store.invitations.deleteForUser(userId);
		await this.#store.invitations.insert({ id: hashToken(token), userId, createdBy, createdAt: now, expiresAt });
		return { token, expiresAt };
	}
}

/** What the person opening an invitation link sees and does: no session needed, the link is the credential. */
export class Invitations {
	readonly #store: Pick<Store, 'users' | 'invitations' | 'clinics'>;
	readonly #accounts: Accounts;
	readonly #sessions: Sessions;
	readonly #now: () => number;

	constructor(
		store: Pick<Store, 'users' | 'invitations' | 'clinics'>,
		accounts: Accounts,
		sessions: Sessions,
		now: () => number = Date.now
	) {
		this.#store = store;
		this.#accounts = accounts;
		this.#sessions = sessions;
		this.#now = now;
	}

	/** Whom the link is for; null when it is unknown, used or expired (or its user deactivated). */
	async inspect(token: string) {
		const invitation = await this.#store.invitations.get(hashToken(token));
		if (!invitation || invitation.expiresAt <= this.#now()) return null;
		const user = await this.#store.users.getById(invitation.userId);
		if (!user?.active) return null;
		const clinic = await this.#store.clinics.get(user.clinicId);
		return {
			email: user.email,
			name: user.name,
			role: user.role,
			clinicName: clinic?.name ?? '',
			expiresAt: invitation.expiresAt
		};
	}

	/**
	 * Uses the link once: sets the password, ends the user's other sessions (whoever had the old password is out)
	 * and returns the user, for the caller to start a session. Null when the link is unknown, used or expired.
	 */
	async accept(token: string, password: string): Promise<UserRow | null> {
		const invitation = await this.#store.invitations.take(hashToken(token), this.#now());
		if (!invitation) return null;
		const user = await this.#store.users.getById(invitation.userId);
		if (!user?.active) return null;
		await this.#accounts.setPassword(user.id, password);
		await this.#store.invitations.deleteForUser(user.id);
		await this.#sessions.endAllForUser(user.id);
		return (await this.#store.users.getById(user.id)) ?? null;
	}
}
