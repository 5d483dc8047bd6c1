import { randomBytes } from 'node:crypto';
import { KEY_BYTES, open, seal } from './aead.ts';

/** Where a wrapped data key is kept; the store's clinics repository implements it. */
export interface WrappedKeySource {
	getWrappedKey(clinicId: string): Promise<Buffer | null>;
}

/**
 * Per-clinic data keys, stored wrapped by the master key. Unwrapped keys live only in memory.
 * Deleting a clinic's wrapped key makes all of its records unreadable (crypto-shredding).
 */
export class Keyring {
	readonly #master: Buffer;
	readonly #source: WrappedKeySource;
	readonly #cache = new Map<string, Buffer>();

	constructor(masterKey: Buffer, source: WrappedKeySource) {
		if (masterKey.length !== KEY_BYTES) throw new Error('master key must be 32 bytes');
		this.#master = masterKey;
		this.#source = source;
	}

	/** A new data key for a clinic, returned wrapped for storage. */
	newWrappedKey(clinicId: string): Buffer {
		const key = randomBytes(KEY_BYTES);
		const wrapped = seal(this.#master, key, wrapAad(clinicId));
		this.#cache.set(clinicId, key);
		return wrapped;
	}

	async dataKey(clinicId: string): Promise<Buffer> {
		const cached = this.#cache.get(clinicId);
		if (cached) return cached;
		const wrapped = await this.#source.getWrappedKey(clinicId);
		if (!wrapped) throw new Error(`no data key for clinic ${clinicId}`);
		const key = open(this.#master, wrapped, wrapAad(clinicId));
		this.#cache.set(clinicId, key);
		return key;
	}

	/** A value only this master key produces: start-up checks it so a wrong key fails before any request. */
	sealCheck(): Buffer {
		return seal(this.#master, Buffer.from(CHECK_TEXT), CHECK_AAD);
	}

	verifyCheck(sealed: Buffer): void {
		try {
			open(this.#master, sealed, CHECK_AAD);
		} catch {
			throw new Error('the master key does not match the key this data folder was written with');
		}
	}
}

const CHECK_TEXT = 'frontdesk master key check';
const CHECK_AAD = 'frontdesk:v1:master-check';
const wrapAad = (clinicId: string) => `frontdesk:v1:data-key:${clinicId}`;
