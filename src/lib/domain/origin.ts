/**
 * Every Yjs transaction names where it came from, so that reactions never answer themselves (the server never
 * re-sends what a channel wrote, the calendar worker never re-pushes Google's change) and every stored update
 * says who wrote it. Defined once for devices and the server; nothing else invents origins.
 */
export type TransactionOrigin =
	/** Read back from storage (the server's log, the device's IndexedDB): already stored, never stored again. */
	| { readonly source: 'store' }
	/** Written by a device through its socket. */
	| { readonly source: 'connection'; readonly userId: string; readonly sessionId: string }
	/** An incoming message, call or form written by the server for a channel. */
	| { readonly source: 'channel'; readonly provider: 'whatsapp' | 'instagram' | 'phone' | 'web' }
	/** A change read from Google Calendar; the etag keeps it from being pushed back. */
	| { readonly source: 'google'; readonly etag?: string }
	/** The server's own work: a job, a seed, a migration. */
	| { readonly source: 'job'; readonly name: string };

export type OriginSource = TransactionOrigin['source'];

/** The one origin object for state read back from storage (compared by identity and by source). */
export const STORE_ORIGIN: TransactionOrigin = Object.freeze({ source: 'store' });

/** Whether a transaction origin is one of ours and of this source (Yjs origins can be anything, e.g. a provider). */
export function isOrigin<S extends OriginSource>(
	origin: unknown,
	source: S
): origin is Extract<TransactionOrigin, { source: S }> {
	return typeof origin === 'object' && origin !== null && (origin as { source?: unknown }).source === source;
}
