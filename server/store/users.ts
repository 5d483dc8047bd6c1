import type { Role } from '../../src/lib/domain/roles.ts';

export interface UserRow {
	id: string;
	clinicId: string;
	email: string;
	name: string;
	role: Role;
	/** Empty until the person has chosen a password (an invited user): no password verifies against it. */
	passwordHash: string;
	/** A deactivated user cannot sign in; their account stays for history. */
	active: boolean;
	/** The directory's practitioner this person is (practitioners), or null. */
	practitionerId: string | null;
	createdAt: number;
}

export type UserChange = Partial<Pick<UserRow, 'name' | 'role' | 'active' | 'practitionerId' | 'passwordHash'>>;

/** Staff accounts; an email belongs to one user. */
export interface UserRepository {
	/** Fails if the email is taken or the clinic does not exist. */
	insert(row: UserRow): Promise<void>;
	getById(id: string): Promise<UserRow | null>;
	getByEmail(email: string): Promise<UserRow | null>;
	/** A clinic's staff, by name. */
	listForClinic(clinicId: string): Promise<UserRow[]>;
	/** True if the user exists. */
	update(id: string, change: UserChange): Promise<boolean>;
	/**
	 * Changes a user unless, afterwards, their clinic (which had one) would have no active admin: checked and written in one
	 * transaction, so two admins demoting each other at the same moment cannot leave the clinic without one.
	 * Returns 'no-admin-left' (and changes nothing) in that case.
	 */
	updateKeepingAnAdmin(id: string, change: UserChange): Promise<'ok' | 'not-found' | 'no-admin-left'>;
}
