import { unreadCount, type ThreadSummary } from '$lib/domain/inbox.ts';

interface Seen {
	inbound: number;
	unread: number;
	mentioned: boolean;
}

/** What a change to a thread means for the person: a new message, a new mention of them, or nothing to say. */
export type ThreadNews = 'message' | 'mention' | null;

/**
 * The person's unread messages over every thread, and what each change of a thread's summary is news of. Plain
 * bookkeeping (not reactive): the inbox state copies the total into its reactive fields.
 */
export class UnreadTally {
	readonly #userId: string;
	readonly #seen = new Map<string, Seen>();
	#total = 0;

	constructor(userId: string) {
		this.#userId = userId;
	}

	get total(): number {
		return this.#total;
	}

	/** Takes a thread's current summary (null when it is gone or merged) and says what is new. */
	update(threadId: string, summary: ThreadSummary | null): ThreadNews {
		const before = this.#seen.get(threadId);
		if (before) this.#total -= before.unread;
		if (!summary || summary.mergedInto) {
			this.#seen.delete(threadId);
			return null;
		}
		const now: Seen = {
			inbound: summary.inboundCount,
			unread: unreadCount(summary, this.#userId),
			mentioned: summary.mentioned.includes(this.#userId)
		};
		this.#seen.set(threadId, now);
		this.#total += now.unread;
		if (now.inbound > (before?.inbound ?? 0) && now.unread > 0) return 'message';
		if (now.mentioned && !before?.mentioned) return 'mention';
		return null;
	}
}
