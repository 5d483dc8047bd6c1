import { z } from 'zod';
import type { Keyring } from '../crypto/index.ts';
import type { ClinicRow, Store, UserRow } from '../store/index.ts';
import { ROLES, type Role } from '../../src/lib/domain/roles.ts';
import { dummyPasswordHash, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';
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
	password: z.string().min(MIN_PASSWORD_LENGTH, `password must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024)
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
			passwordHash: await hashPassword(u.password),
			createdAt: Date.now()
		};
		await this.#store.users.insert(row);
		return publicUser(row);
	}

	/** The user whose email and password these are, or null. Takes the same time whether or not the email exists. */
	async authenticate(email: string, password: string): Promise<UserRow | null> {
		const user = await this.#store.users.getByEmail(email.trim().toLowerCase());
		if (!user) {
			await verifyPassword(await dummyPasswordHash(), password);
			return null;
		}
		return (await verifyPassword(user.passwordHash, password)) ? user : null;
	}
}

export class AccountError extends Error {
	override name = 'AccountError';
}
