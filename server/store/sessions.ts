export interface SessionRow {
	/** SHA-256 of the token, hex: the token itself is never stored. */
	id: string;
	userId: string;
	createdAt: number;
	expiresAt: number;
	lastSeenAt: number;
	ip: string | null;
	userAgent: string | null;
}

/** Signed-in sessions; removing a user removes its sessions. */
export interface SessionRepository {
	insert(row: SessionRow): Promise<void>;
	get(id: string): Promise<SessionRow | null>;
	touch(id: string, expiresAt: number, lastSeenAt: number): Promise<void>;
	/** True if a session was removed. */
	delete(id: string): Promise<boolean>;
	/** A user's sessions, most recently seen first (expired ones included until swept). */
	listForUser(userId: string): Promise<SessionRow[]>;
	/** Of the given session ids, the ones that exist and have not expired at `now`. */
	liveIds(ids: readonly string[], now: number): Promise<Set<string>>;
	/** Removes the sessions expired at `now`, or unused since `idleSince`; returns how many. */
	deleteExpired(now: number, idleSince?: number): Promise<number>;
	/** Removes a user's sessions (but the one kept, if given); returns the ids removed. */
	deleteForUser(userId: string, keep?: string): Promise<string[]>;
}
