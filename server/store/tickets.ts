export interface TicketRow {
	/** SHA-256 of the ticket, hex. */
	id: string;
	sessionId: string;
	docName: string;
	expiresAt: number;
}

/** Single-use sync tickets; ending a session removes its tickets. */
export interface TicketRepository {
	insert(row: TicketRow): Promise<void>;
	/** Removes and returns the ticket: a ticket can be taken once, even by two callers at the same moment. */
	take(id: string): Promise<TicketRow | null>;
	/** Removes the tickets expired at `now`; returns how many. */
	deleteExpired(now: number): Promise<number>;
}
