import { SESSION_COOKIE, SESSION_TTL_MS } from './sessions.ts';

/** Secure everywhere except plain-HTTP localhost (development), where browsers would drop it. */
export function sessionCookie(token: string, secure: boolean): string {
	const maxAge = Math.floor(SESSION_TTL_MS / 1000);
	return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

export function blankSessionCookie(secure: boolean): string {
	return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`;
}

export function readCookie(header: string | undefined, name: string): string | null {
	if (!header) return null;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
	}
	return null;
}
