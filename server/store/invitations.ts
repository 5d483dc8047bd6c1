export interface InvitationRow {
	/** SHA-256 of the token, hex: the token itself is only in the link the admin passes on. */
	id: string;
	userId: string;
	/** The admin who made it (ids only). */
	createdBy: string | null;
	createdAt: number;
	expiresAt: number;
}

/** Single-use invitation links that let a person set their own password. */
export interface InvitationRepository {
	insert(row: InvitationRow): Promise<void>;
	get(id: string): Promise<InvitationRow | null>;
	/**
	 * Removes the invitation and returns it if it is still valid at `now`: a link is used once, even by two
	 * callers at the same moment.
	 */
	take(id: string, now: number): Promise<InvitationRow | null>;
	/** Removes every invitation of a user (a new one replaces them; a used one ends them). */
	deleteForUser(userId: string): Promise<void>;
	/** The latest invitation of each of these users that is still valid at `now`. */
	pendingFor(userIds: readonly string[], now: number): Promise<Map<string, InvitationRow>>;
	deleteExpired(now: number): Promise<number>;
}
