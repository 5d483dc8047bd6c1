import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

/**
 * AES-256-GCM with a fresh 96-bit nonce per record. Sealed layout: version(1) | nonce(12) | ciphertext | tag(16).
 * The associated data binds a record to where it belongs, so a record copied to another clinic,
 * doc or sequence number fails to open instead of decrypting as someone else's data.
 */
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export class DecryptionError extends Error {
	override name = 'DecryptionError';
}

/** Nonces come from a refilled pool of CSPRNG bytes: one system call per 341 records instead of one each. */
const pool = Buffer.allocUnsafe(NONCE_BYTES * 341);
let poolOffset = pool.length;
function freshNonce(): Buffer {
	if (poolOffset + NONCE_BYTES > pool.length) {
		randomFillSync(pool);
		poolOffset = 0;
	}
	const nonce = Buffer.from(pool.subarray(poolOffset, poolOffset + NONCE_BYTES));
	poolOffset += NONCE_BYTES;
	return nonce;
}

export function seal(key: Uint8Array, plaintext: Uint8Array, associatedData: string): Buffer {
	if (key.length !== KEY_BYTES) throw new Error('seal: key must be 32 bytes');
	const nonce = freshNonce();
	const cipher = createCipheriv('aes-256-gcm', key, nonce);
	cipher.setAAD(Buffer.from(associatedData, 'utf8'));
	const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	return Buffer.concat([Buffer.of(VERSION), nonce, body, cipher.getAuthTag()]);
}

export function open(key: Uint8Array, sealed: Uint8Array, associatedData: string): Buffer {
	if (key.length !== KEY_BYTES) throw new Error('open: key must be 32 bytes');
	if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
		throw new DecryptionError('sealed record is malformed');
	}
	const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
	const nonce = data.subarray(1, 1 + NONCE_BYTES);
	const tag = data.subarray(data.length - TAG_BYTES);
	const body = data.subarray(1 + NONCE_BYTES, data.length - TAG_BYTES);
	try {
		const decipher = createDecipheriv('aes-256-gcm', key, nonce);
		decipher.setAAD(Buffer.from(associatedData, 'utf8'));
		decipher.setAuthTag(tag);
		return Buffer.concat([decipher.update(body), decipher.final()]);
	} catch {
		throw new DecryptionError('record failed authentication (tampered, misplaced, or wrong key)');
	}
}
