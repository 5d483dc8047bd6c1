import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { randomBytes } from 'node:crypto';

/** 256 bits of randomness, base32: session tokens and sync tickets. */
export function generateToken(): string {
	return encodeBase32LowerCaseNoPadding(randomBytes(32));
}

/** What the database keeps instead of a token: a leaked database does not hand out sessions. */
export function hashToken(token: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

/** Short random ids for clinics, staff and records (80 bits, lowercase base32). */
export function generateId(): string {
	return encodeBase32LowerCaseNoPadding(randomBytes(10));
}
