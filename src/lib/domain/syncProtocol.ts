/**
 * The wire protocol of `/sync/<docName>`: y-websocket's framing (y-protocols sync and awareness),
 * plus the close codes this server uses. One module for client, server and tests.
 */

/** The steps of y-protocols' sync message (the second varint of a `sync` message). */
export const SyncStep = {
	/** A state vector: "send me what I lack". */
	step1: 0,
	/** The answer to step 1: what the other side lacked. */
	step2: 1,
	/** An update as it happens. */
	update: 2
} as const;

export const MessageType = {
	sync: 0,
	awareness: 1,
	auth: 2,
	queryAwareness: 3
} as const;

/** Close codes in the 4000–4999 application range, mirroring HTTP where one fits. */
export const CloseCode = {
	/** The peer sent something that is not a valid message: only its own socket is closed. */
	badMessage: 4400,
	/** The session behind the socket ended (signed out, revoked, expired): sign in again. */
	unauthenticated: 4401,
	/** The user may not open this doc. */
	forbidden: 4403,
	/** The socket may only read this doc and sent a change: the device keeps it unsent and stops sending. */
	readOnly: 4405,
	/**
	 * A change breaks a rule on who may do what in this doc (e.g. reception deleting another's appointment); the
	 * reason says which. Nothing of it was stored; resending it is refused again.
	 */
	writeRefused: 4422,
	/** An update depends on changes the server does not have and that did not follow: reconnect and sync again. */
	resync: 4409,
	/** Too many sockets, docs or queries from one session or socket: reconnect later, with backoff. */
	tooManyRequests: 4429,
	/** The clinic's storage quota is used up: the change stays on the device until an admin frees space. */
	quotaExceeded: 4507,
	/** The peer does not read what it is sent (too much waiting for it), or the doc's backlog is full: retry later. */
	tryAgainLater: 1013,
	/** The server could not serve the doc (its store failed, or it could not be loaded): reconnect later. */
	internalError: 1011,
	/** The server is going away (shutdown); reconnecting later is right. */
	goingAway: 1001,
	/** A message over the size limit; ws itself closes with this. */
	tooLarge: 1009
} as const;

/** Close codes after which a device must stop reconnecting and ask the user to sign in. */
export const AUTH_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.unauthenticated, CloseCode.forbidden]);

/**
 * Largest message a device sends: bigger updates (an offline day's work, an import) are split below it, so the
 * server's message limit (`SYNC_MAX_MESSAGE_BYTES`, at least 1 MiB) never cuts a device's legitimate work.
 */
export const DEVICE_MAX_MESSAGE_BYTES = 512 * 1024;

export const SYNC_PATH_PREFIX = '/sync/';

export function syncPath(docName: string): string {
	return SYNC_PATH_PREFIX + docName.split('/').map(encodeURIComponent).join('/');
}
