import type { Role } from '../../src/lib/domain/roles.ts';

export interface UserRow {
	id: string;
	clinicId: string;
	email: string;
	name: string;
	role: Role;
	passwordHash: string;
	createdAt: number;
}

/** Staff accounts; an email belongs to one user. */
export interface UserRepository {
	/** Fails if the email is taken or the clinic does not exist. */
	insert(row: UserRow): Promise<void>;
	getById(id: string): Promise<UserRow | null>;
	getByEmail(email: string): Promise<UserRow | null>;
}
