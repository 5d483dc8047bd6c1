import type { Store } from '../store/index.ts';
import { generateToken, hashToken } from './tokens.ts';

export const TICKET_TTL_MS = 60_000;

/**
 * Single-use sync tickets for clients that cannot send the session cookie: valid 60 s, for one doc,
 * bound to the session that asked (so ending the session also ends what the ticket opened).
 */
export class SyncTickets {
	readonly #store: Pick<Store, 'tickets'>;
	readonly #now: () => number;

	constructor(store: Pick<Store, 'tickets'>, now: () => number = Date.now) {
		this.#store = store;
		this.#now = now;
	}

	async issue(sessionId: string, docName: string): Promise<string> {
		const ticket = generateToken();
		await this.#store.tickets.insert({ id: hashToken(ticket), sessionId, docName, expiresAt: this.#now() + TICKET_TTL_MS });
		return ticket;
	}

	/** The session id the ticket was issued to, or null; the ticket is used up either way. */
	async redeem(ticket: string, docName: string): Promise<string | null> {
		const row = await this.#store.tickets.take(hashToken(ticket));
		if (!row || row.docName !== docName || this.#now() >= row.expiresAt) return null;
		return row.sessionId;
	}
}
