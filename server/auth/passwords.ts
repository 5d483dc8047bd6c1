import { hash, verify } from '@node-rs/argon2';

export { MIN_PASSWORD_LENGTH, newPassword } from '../../src/lib/domain/passwords.ts';

// Algorithm.Argon2id: the package exports it as an ambient const enum, which isolated modules cannot read.
const ARGON2ID = 2;

/** argon2id with OWASP's minimum parameters (19 MiB, 2 passes). */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
	return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
	try {
		return await verify(passwordHash, password);
	} catch {
		return false;
	}
}

/** Verified against when the account does not exist, so a wrong email costs the same time as a wrong password. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
	dummyHash ??= hashPassword('frontdesk-no-such-account');
	return dummyHash;
}
