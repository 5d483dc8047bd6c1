/** The outside services a clinic connects: the provider names of channel accounts and their events. */
export type ChannelProvider = 'whatsapp' | 'instagram' | 'phone';

/** One connected account: the provider's id of it (phone-number id, Instagram account id, E.164 number) → clinic. */
export interface ChannelAccountRow {
	provider: ChannelProvider;
	externalId: string;
	clinicId: string;
	/** The access token sealed with the clinic's data key (see server/channels/accounts.ts); null for phone numbers. */
	sealedToken: Buffer | null;
	createdAt: number;
}

/** Which clinic an incoming event belongs to, and the token to answer it with. */
export interface ChannelAccountRepository {
	/**
	 * Connects an account, or replaces the token of one the same clinic already has. Resolves false (and changes
	 * nothing) when another clinic holds that account.
	 */
	connect(row: ChannelAccountRow): Promise<boolean>;
	find(provider: ChannelProvider, externalId: string): Promise<ChannelAccountRow | null>;
	/** The clinic's accounts, oldest first. */
	listForClinic(clinicId: string): Promise<ChannelAccountRow[]>;
	/** True if the clinic had that account. */
	disconnect(clinicId: string, provider: ChannelProvider, externalId: string): Promise<boolean>;
}

/**
 * A provider's message (or call, or reaction) id stored with the thread update that recorded it, in the same
 * savepoint: a second update carrying the same id fails its commit (CHAN-DEDUPE-1).
 */
export interface InboundMessageRow {
	readonly kind: 'inbound';
	readonly provider: string;
	readonly messageId: string;
}

/** The thread doc may hold queued replies (CHAN-DISPATCH-3): stored with the update that queued them. */
export interface OutboxMarkRow {
	readonly kind: 'outbox';
}

/** An inbound event's journal row leaves with the thread update that wrote its event (CHAN-JOURNAL-1). */
export interface JournalDoneRow {
	readonly kind: 'journal-done';
	readonly seq: number;
}

/**
 * The inbox update that counted a journaled event records where it went (CHAN-JOURNAL-2): a replay finds the
 * thread here and does not count the event again.
 */
export interface JournalThreadRow {
	readonly kind: 'journal-thread';
	readonly seq: number;
	readonly threadId: string;
	readonly contactId: string;
}

/** One event to journal: its dedupe key, its clinic and the event itself, sealed with the clinic's data key. */
export interface JournalAppend {
	provider: string;
	messageId: string;
	clinicId: string;
	data: Buffer;
	receivedAt: number;
}

/** A journaled event not yet written into the docs. */
export interface JournalRow extends JournalAppend {
	seq: number;
	/** Set once the inbox counted it (a replay goes straight to the thread). */
	threadId: string | null;
	contactId: string | null;
}

/**
 * Webhook events made durable before they are written into the docs (CHAN-JOURNAL-*): the webhook answers once
 * its events are here, and the ingest writes them into the docs after, also after a restart.
 */
export interface InboundJournalRepository {
	/**
	 * Journals events in one transaction (one fsync). Each one's sequence, or null when its provider id is journaled
	 * already or was written into a thread before (a duplicate: nothing is added).
	 */
	append(events: readonly JournalAppend[]): Promise<(number | null)[]>;
	/** Events neither written nor failed, in sequence order, after `afterSeq`; at most `limit`. */
	pending(afterSeq: number, limit: number): Promise<JournalRow[]>;
	/** Marks an event the domain refused: kept for a person to look at, never retried. */
	fail(seq: number, at: number): Promise<void>;
	/** How many events wait to be written (failed ones excluded). */
	backlog(): Promise<number>;
}

export interface InboundMessageRepository {
	/** True once an update carrying this provider message id is durable. */
	seen(provider: string, messageId: string): Promise<boolean>;
}

/** A thread doc that may hold queued replies; `mark` moves on every update that queued one. */
export interface OutboxPending {
	docName: string;
	clinicId: string;
	mark: number;
}

export interface ClaimKey {
	docName: string;
	entryId: string;
	attempt: number;
}

export type ClaimOutcome = { status: 'sent'; providerMessageId: string } | { status: 'failed'; code: string; message: string };

export interface ClaimRow extends ClaimKey {
	/** The process that claimed it (its boot id). */
	owner: string;
	claimedAt: number;
	/** Null while the send's result is not recorded: after a crash, it may or may not have gone out. */
	outcome: ClaimOutcome | null;
}

/** Replies waiting to be sent, and the one claim per (doc, entry, attempt) that makes a send happen once. */
export interface OutboxRepository {
	pending(): Promise<OutboxPending[]>;
	/** Forgets a thread doc's mark if nothing queued a reply since `mark` was read; true if it was forgotten. */
	clear(docName: string, mark: number): Promise<boolean>;
	/** True for the one caller that gets the claim; false if it was claimed before (by anyone, ever). */
	claim(key: ClaimKey, owner: string, at: number): Promise<boolean>;
	getClaim(key: ClaimKey): Promise<ClaimRow | null>;
	/** Records what the provider answered, before the doc is told. */
	finish(key: ClaimKey, outcome: ClaimOutcome): Promise<void>;
	/** The thread doc and entry of a sent reply, by the provider's message id (for status webhooks). */
	docOfSent(providerMessageId: string): Promise<{ docName: string; entryId: string } | null>;
	/** Gives a claim back when the provider certainly did not send (rate limited): the attempt may be claimed again. */
	release(key: ClaimKey): Promise<void>;
}

export interface MediaRow {
	id: string;
	clinicId: string;
	mime: string;
	bytes: number;
	filename: string | null;
	/** Sealed with the clinic's data key; the associated data names clinic and media id. */
	data: Buffer;
	createdAt: number;
}

/** A file still to fetch for an entry stored with its media pending; kept until fetched (or refused). */
export interface MediaJobRow {
	docName: string;
	entryId: string;
	clinicId: string;
	provider: 'whatsapp' | 'instagram' | 'phone';
	/** The account it came through (phone-number id, Instagram id, Twilio AccountSid). */
	accountId: string;
	/** The provider's media id, or the recording's URL. */
	source: string;
	/** The message type (image, audio, …), which bounds its size. */
	kind: string;
	mime: string;
	filename: string | null;
	createdAt: number;
}

export interface MediaRepository {
	insert(row: MediaRow): Promise<void>;
	get(id: string): Promise<MediaRow | null>;
	addJob(job: MediaJobRow): Promise<void>;
	jobs(): Promise<MediaJobRow[]>;
	removeJob(docName: string, entryId: string): Promise<void>;
}
