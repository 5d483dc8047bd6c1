import { z } from 'zod';

/** The link an admin passes on. The token rides in the fragment, so no server log or Referer ever holds it. */
export function invitationLink(origin: string, token: string): string {
	return `${origin}/invite#${encodeURIComponent(token)}`;
}

// The server's shape of a token (lowercase base32); anything else cannot be a link it made.
const token = z.string().regex(/^[0-9a-z]{20,64}$/);

/** The token of `/invite#<token>`, or null when the fragment holds nothing that could be one. */
export function tokenFromFragment(hash: string): string | null {
	const raw = hash.startsWith('#') ? hash.slice(1) : hash;
	let decoded: string;
	try {
		decoded = decodeURIComponent(raw).trim();
	} catch {
		return null;
	}
	const parsed = token.safeParse(decoded);
	return parsed.success ? parsed.data : null;
}
