import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Hub-Signature-256` is `sha256=` + hex HMAC-SHA256 of the raw body with the app secret (CHAN-META-SIG-1).
 * Checked over the exact bytes received, before any parsing, in constant time.
 */
export function validMetaSignature(raw: Buffer, header: string | undefined, appSecret: string | null): boolean {
	if (!appSecret || typeof header !== 'string' || !header.startsWith('sha256=')) return false;
	const given = Buffer.from(header.slice('sha256='.length), 'hex');
	const expected = createHmac('sha256', appSecret).update(raw).digest();
	return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The header Meta would send for `raw` (tests, the benchmark). */
export function metaSignature(raw: Buffer | string, appSecret: string): string {
	return 'sha256=' + createHmac('sha256', appSecret).update(raw).digest('hex');
}
