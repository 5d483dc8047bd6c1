const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** 80-bit random ids in lowercase base32: valid doc-name keys, never derived from personal data. */
export function newId(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	let id = '';
	for (const b of bytes) id += ALPHABET[b & 31];
	return id;
}
