/**
 * A cookie-authenticated request counts only when it comes from this app: its Origin is one of the
 * configured origins, or names the very host the request was sent to. This stops cross-site websocket
 * hijacking and cross-site tRPC calls, which the browser would otherwise send with the cookie.
 */
export function isAllowedOrigin(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
	if (!origin) return false;
	let url: URL;
	try {
		url = new URL(origin);
	} catch {
		return false;
	}
	if (allowed.includes(url.origin)) return true;
	return host !== undefined && url.host === host && (url.protocol === 'http:' || url.protocol === 'https:');
}
