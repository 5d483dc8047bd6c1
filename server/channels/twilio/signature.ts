import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio's request signature (CHAN-TWILIO-SIG-1): base64 HMAC-SHA1, keyed with the auth token, of the full URL
 * Twilio called followed by every POST parameter sorted by name, each as name + value.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
	const data = Object.keys(params)
		.sort()
		.reduce((acc, name) => acc + name + params[name], url);
	return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function validTwilioSignature(
	authToken: string | null,
	url: string,
	params: Record<string, string>,
	header: string | undefined
): boolean {
	if (!authToken || typeof header !== 'string') return false;
	const given = Buffer.from(header);
	const expected = Buffer.from(twilioSignature(authToken, url, params));
	return given.length === expected.length && timingSafeEqual(given, expected);
}
