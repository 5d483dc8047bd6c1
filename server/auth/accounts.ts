import { z } from 'zod';
import type { Keyring } from '../crypto/index.ts';
import type { ClinicRow, Store, UserRow } from '../store/index.ts';
import { ROLES, type Role } from '../../src/lib/domain/roles.ts';
import { ID_PATTERN } from '../../src/lib/domain/kinds.ts';
import { dummyPasswordHash, hashPassword, newPassword, verifyPassword } from './passwords.ts';
import { generateId } from './tokens.ts';

export const newClinicInput = z.object({ name: z.string().trim().min(1).max(200) });

export const newUserInput = z.object({
	clinicId: z.string().min(1),
	email: z
		.email()
		.max(254)
		.transform((e) => e.toLowerCase()),
	name: z.string().trim().min(1).max(200),
	role: z.enum(ROLES),
	practitionerId: z.string().regex(ID_PATTERN, 'not a practitioner id').nullable().default(null),
	/** Absent for an invited user, who chooses it with the invitation link. */
	password: newPassword.optional()
});

export type PublicUser = Pick<UserRow, 'id' | 'clinicId' | 'email' | 'name' | 'role'>;

export const publicUser = (u: UserRow): PublicUser => ({
	id: u.id,
	clinicId: u.clinicId,
	email: u.email,
	name: u.name,
	role: u.role
});

/** Clinics (tenants) and their staff accounts. */
export class Accounts {
	readonly #store: Pick<Store, 'clinics' | 'users'>;
	readonly #keyring: Keyring;

	constructor(store: Pick<Store, 'clinics' | 'users'>, keyring: Keyring) {
		this.#store = store;
		this.#keyring = keyring;
	}

	/** A clinic with its own data key, wrapped by the master key. */
	async createClinic(input: z.input<typeof newClinicInput>): Promise<ClinicRow> {
		const { name } = newClinicInput.parse(input);
		const clinic: ClinicRow = { id: generateId(), name, createdAt: Date.now() };
		await this.#store.clinics.insert(clinic, this.#keyring.newWrappedKey(clinic.id));
		return clinic;
	}

	async createUser(input: z.input<typeof newUserInput>): Promise<PublicUser> {
		const u = newUserInput.parse(input);
		if (!(await this.#store.clinics.get(u.clinicId))) throw new AccountError(`no clinic with id ${u.clinicId}`);
		if (await this.#store.users.getByEmail(u.email)) throw new AccountError(`a user with email ${u.email} already exists`);
		const row: UserRow = {
			id: generateId(),
			clinicId: u.clinicId,
			email: u.email,
			name: u.name,
			role: u.role as Role,
			passwordHash: u.password === undefined ? '' : await hashPassword(u.password),
			active: true,
			practitionerId: u.practitionerId,
			createdAt: Date.now()
		};
		await this.#store.users.insert(row);
		return publicUser(row);
	}

	/**
	 * The active user whose email and password these are, or null. Takes the same time whether or not the email
	 * exists, the account is deactivated or its password not chosen yet.
	 */
	async authenticate(email: string, password: string): Promise<UserRow | null> {
		const user = await this.#store.users.getByEmail(email.trim().toLowerCase());
		if (!user?.active || user.passwordHash === '') {
			await verifyPassword(await dummyPasswordHash(), password);
			return null;
		}
		return (await verifyPassword(user.passwordHash, password)) ? user : null;
	}

	/** Sets a user's password (validated: `newPassword`). The caller ends their sessions as the case needs. */
	async setPassword(userId: string, password: string): Promise<void> {
		const hash = await hashPassword(newPassword.parse(password));
		if (!(await this.#store.users.update(userId, { passwordHash: hash }))) throw new AccountError('no such user');
	}

	/** Whether this is the user's password (false for a user without one). */
	async checkPassword(user: UserRow, password: string): Promise<boolean> {
		if (user.passwordHash === '') return false;
		return verifyPassword(user.passwordHash, password);
	}
}

export class AccountError extends Error {
	override name = 'AccountError';
}
