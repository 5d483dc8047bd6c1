import { setImmediate as nextTurn, setTimeout as rest } from 'node:timers/promises';
import { errorMessage } from '../errors.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Logger } from '../log.ts';
import type { MediaJobRow, SideRow, Store } from '../store/index.ts';
import type { DocHandle } from '../sync/index.ts';
import type { ChannelKind } from '../../src/lib/domain/contacts.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import { previewOf, recordActivity } from '../../src/lib/domain/inbox.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import type { ChannelRows } from './channelRows.ts';
import type { HeldDocs } from './heldDocs.ts';
import { appendEntry, checkEntry } from './inboundItem.ts';
import { openJournalRow, type Journaled } from './journal.ts';
import { findOrCreateContactFast, findOrOpenThread } from './lookup.ts';
import type { InboundAutomation } from './types.ts';

export interface IngestDeps {
	held: HeldDocs;
	rows: ChannelRows;
	store: Pick<Store, 'inboundJournal'>;
	keyring: Keyring;
	logger: Logger;
	/** Fetches an entry's file once the entry is stored. */
	media: { fetchLater(job: MediaJobRow): Promise<void> };
	automation?: InboundAutomation;
	/** Called for an event the domain refused (kept in the journal, marked failed). */
	onRefused?: () => void;
}

/** Events written per batch: one transaction per doc for all of them. */
const MAX_BATCH = 64;
/**
 * The batch while webhooks keep arriving (an event journaled in the last BUSY_MS): small, so a burst's answers
 * wait for little doc work and the burst is journaled first; once it passes, the batches grow again.
 */
const BUSY_BATCH = 8;
const BUSY_MS = 50;
/**
 * While webhooks keep arriving, about the most of the event loop the docs' writing takes: after each batch it
 * rests for the rest (nine times as long as the batch took), so a burst is answered at close to the journal's own rate
 * and an endless one never starves the docs (CHAN-JOURNAL-4). Measured on 2 cores: writing an event into its
 * docs costs about three times answering it, and yielding only a turn between batches gave the answers 27% of a
 * bare server's rate; with this share, about half.
 */
const BUSY_SHARE = 0.1;
/** Journaled events held in memory; past it the rest wait in the store and are read back in turn. */
const MAX_IN_MEMORY = 4000;
/** Rows read back from the store at once (a backlog, a replay after a restart). */
const READ_BACK = 500;
/** First wait before a batch whose storage failed is tried again; doubles up to the maximum. */
const RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;

const originOf = (channel: ChannelKind): TransactionOrigin => ({ source: 'channel', provider: channel });

interface Written {
	threadId: string;
	contactId: string;
	entryId: string;
	newThread: boolean;
}

/**
 * Writes journaled events into the clinic's contacts, inbox and thread docs, once each (CHAN-JOURNAL-*,
 * CHAN-DEDUPE-*). A clinic's events of one channel are written by one worker in batches: each batch is one
 * transaction per doc and shares a group commit, and two events from one new contact find the contact the first
 * one made. The webhooks' answers never wait for this: they wait for the journal. Between batches the worker
 * yields, so a burst of webhooks is answered first and the docs catch up right after. An event leaves the
 * journal with the thread update that wrote it; an event the domain refuses stays there, marked failed.
 */
export class Ingest {
	readonly #deps: IngestDeps;
	readonly #queues = new Map<string, Journaled[]>();
	/** Sequences in memory: queued, or being written. */
	readonly #inMemory = new Set<number>();
	/** Some journaled events are only in the store: they are read back once memory has room. */
	#behind = false;
	/** Bumped whenever an event is left in the store, so a read back knows whether it saw everything. */
	#leftInStore = 0;
	#readingBack: Promise<void> | null = null;
	/** The last sequence read back from the store: the next read starts after it. */
	#readAfter = 0;
	/** Bumped when a failure sends the read position back to the start. */
	#rewinds = 0;
	#retryMs = RETRY_MS;
	#retryTimer: NodeJS.Timeout | null = null;
	readonly #idle = new Set<() => void>();
	#closed = false;
	#lastArrival = -Infinity;
	/** While webhooks keep arriving, no batch starts before this (BUSY_SHARE). */
	#restUntil = -Infinity;

	constructor(deps: IngestDeps) {
		this.#deps = deps;
	}

	/** Newly journaled events (the journal's commit hands them over, in sequence order). */
	enqueue(events: readonly Journaled[]): void {
		if (this.#closed) return;
		this.#lastArrival = performance.now();
		if (this.#behind || this.#inMemory.size + events.length > MAX_IN_MEMORY) {
			this.#leftInStore++;
			this.#behind = true;
			this.#readBackSoon();
			return;
		}
		for (const event of events) this.#push(event);
	}

	/** At start: what an earlier run journaled and did not write (CHAN-JOURNAL-3). */
	async resume(): Promise<void> {
		this.#behind = true;
		this.#readBackSoon();
		await this.#readingBack;
	}

	/** Resolves once nothing journaled is waiting in this process (nothing in memory, nothing left in the store). */
	whenIdle(): Promise<void> {
		if (this.#isIdle()) return Promise.resolve();
		return new Promise((resolve) => this.#idle.add(resolve));
	}

	close(): void {
		this.#closed = true;
		if (this.#retryTimer) clearTimeout(this.#retryTimer);
	}

	#isIdle(): boolean {
		return this.#inMemory.size === 0 && !this.#behind;
	}

	#checkIdle(): void {
		if (!this.#isIdle()) return;
		for (const resolve of this.#idle) resolve();
		this.#idle.clear();
	}

	#push(event: Journaled): void {
		if (this.#inMemory.has(event.seq)) return;
		this.#inMemory.add(event.seq);
		const queueKey = `${event.item.clinicId}\n${event.item.channel}`;
		let queue = this.#queues.get(queueKey);
		const start = !queue;
		if (!queue) this.#queues.set(queueKey, (queue = []));
		queue.push(event);
		if (start) void this.#drain(queueKey);
	}

	#readBackSoon(): void {
		if (this.#readingBack || this.#retryTimer || this.#closed) return;
		if (this.#inMemory.size > MAX_IN_MEMORY - READ_BACK) return; // a drain calls again once there is room
		this.#readingBack = this.#readBack()
			.catch((error: unknown) => {
				this.#deps.logger.error({ err: errorMessage(error) }, 'reading the inbound journal failed');
				this.#retryLater();
			})
			.finally(() => {
				this.#readingBack = null;
				if (this.#behind) this.#readBackSoon();
				this.#checkIdle();
			});
	}

	async #readBack(): Promise<void> {
		const leftBefore = this.#leftInStore;
		const rewindsBefore = this.#rewinds;
		// Oldest first, from where the last read stopped: a long backlog is read once, not again for every turn.
		const rows = await this.#deps.store.inboundJournal.pending(this.#readAfter, READ_BACK);
		for (const row of rows) {
			if (this.#closed) return;
			// A failed batch during this read moved the position back to the start: it stays there.
			if (this.#rewinds === rewindsBefore) this.#readAfter = Math.max(this.#readAfter, row.seq);
			// A row may be in memory already: handed over by its commit before the ingest fell behind.
			if (!this.#inMemory.has(row.seq)) this.#push(await openJournalRow(row, this.#deps.keyring));
		}
		// The store held no more than was read and nothing was left there since: caught up.
		if (rows.length < READ_BACK && this.#leftInStore === leftBefore && this.#rewinds === rewindsBefore) this.#behind = false;
	}

	#retryLater(): void {
		// The failed batch's rows are behind the read position: read the journal from its start again.
		this.#readAfter = 0;
		this.#rewinds++;
		if (this.#retryTimer || this.#closed) return;
		this.#behind = true;
		this.#retryTimer = setTimeout(() => {
			this.#retryTimer = null;
			this.#readBackSoon();
		}, this.#retryMs);
		this.#retryTimer.unref();
		this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
	}

	async #drain(queueKey: string): Promise<void> {
		const queue = this.#queues.get(queueKey)!;
		while (queue.length > 0 && !this.#closed) {
			// One rest for all the workers (clinics, channels): together they keep to the share. Rested in short
			// steps, so the batches run back to back as soon as the webhooks pause.
			while (this.#busy(performance.now()) && performance.now() < this.#restUntil)
				await rest(Math.min(this.#restUntil - performance.now(), BUSY_MS));
			const started = performance.now();
			const batch = queue.splice(0, this.#busy(started) ? BUSY_BATCH : MAX_BATCH);
			try {
				const written = await this.#write(batch);
				this.#retryMs = RETRY_MS;
				batch.forEach((event, i) => this.#done(event, written[i]));
			} catch (error) {
				// The docs could not store the batch: it stays in the journal and is read back later.
				this.#deps.logger.error(
					{ clinicId: batch[0].item.clinicId, events: batch.length, err: errorMessage(error) },
					'inbound write failed'
				);
				for (const event of batch) this.#inMemory.delete(event.seq);
				this.#retryLater();
			}
			// Webhooks waiting to be answered go first (CHAN-JOURNAL-4).
			const now = performance.now();
			if (this.#busy(now)) this.#restUntil = now + ((now - started) * (1 - BUSY_SHARE)) / BUSY_SHARE;
			await nextTurn();
		}
		this.#queues.delete(queueKey);
		if (this.#behind) this.#readBackSoon();
		this.#checkIdle();
	}

	#busy(now: number): boolean {
		return now - this.#lastArrival < BUSY_MS;
	}

	#done(event: Journaled, written: Written | Error): void {
		this.#inMemory.delete(event.seq);
		const { item } = event;
		const { logger, automation } = this.#deps;
		if (written instanceof Error) {
			// The domain refused it: kept for a person to look at, never retried. No content in the log.
			logger.error(
				{ clinicId: item.clinicId, provider: item.provider, seq: event.seq, err: written.name },
				'inbound event refused'
			);
			this.#deps.onRefused?.();
			void this.#deps.store.inboundJournal
				.fail(event.seq, Date.now())
				.catch((error: unknown) =>
					logger.error({ seq: event.seq, err: errorMessage(error) }, 'marking an inbound event failed did not work')
				);
			return;
		}
		if (item.media) {
			const job: MediaJobRow = {
				...item.media,
				docName: docNames.thread(item.clinicId, written.threadId),
				entryId: written.entryId,
				clinicId: item.clinicId,
				// A file's name can name the patient: it stays in the (sealed) doc only, never in a plaintext column.
				filename: null,
				createdAt: Date.now()
			};
			void this.#deps.media
				.fetchLater(job)
				.catch((error: unknown) => logger.error({ clinicId: item.clinicId, err: errorMessage(error) }, 'media job not recorded'));
		}
		if (!automation) return;
		// A failure there is the automation's to report; it never holds up the next batch.
		Promise.resolve(
			automation.onInbound({
				clinicId: item.clinicId,
				threadId: written.threadId,
				contactId: written.contactId,
				channel: item.channel,
				newThread: written.newThread,
				at: item.at
			})
		).catch((error: unknown) =>
			logger.error({ clinicId: item.clinicId, threadId: written.threadId, err: errorMessage(error) }, 'automation failed')
		);
	}

	/**
	 * Writes a batch (all of one clinic and channel) into the docs and resolves once that is durable, with each
	 * event's outcome or the error the domain refused it with. An event a replay finds already counted by the inbox
	 * (its thread known) skips contacts and inbox. A doc whose storage failed closes: its held handle is dropped,
	 * so the retry opens the doc anew.
	 */
	async #write(batch: Journaled[]): Promise<(Written | Error)[]> {
		const { held, rows } = this.#deps;
		const { clinicId, channel } = batch[0].item;
		const origin = originOf(channel);
		const handles: DocHandle[] = [];
		const forgetAll = (error: unknown): never => {
			for (const h of handles) held.forget(h.docName, origin);
			throw error;
		};
		const open = async (docName: string) => {
			const h = await held.get(docName, origin);
			handles.push(h);
			return h;
		};
		const failed = new Map<number, Error>();
		const attempt = (i: number, step: () => void) => {
			if (failed.has(i)) return;
			try {
				step();
			} catch (error) {
				failed.set(i, error instanceof Error ? error : new Error(String(error)));
			}
		};
		const contactIds = batch.map((e) => e.contactId);
		const threads = batch.map((e) => (e.threadId ? { threadId: e.threadId, newThread: false } : null));
		const entryIds: string[] = [];
		const fresh = batch.flatMap((e, i) => (e.threadId ? [] : [i]));
		// What the domain refuses is found before anything is counted for it.
		batch.forEach((e, i) => attempt(i, () => checkEntry(e.item.entry)));
		try {
			if (fresh.length > 0) {
				const contacts = await open(docNames.contacts(clinicId));
				const inbox = await open(docNames.inbox(clinicId));
				await contacts.transact((doc) => {
					for (const i of fresh)
						attempt(i, () => (contactIds[i] = findOrCreateContactFast(doc, batch[i].item.contact, new Date(batch[i].item.at))));
				});
				const counted: SideRow[] = [];
				await rows.transact(inbox, counted, (doc) => {
					for (const i of fresh)
						attempt(i, () => {
							const { item } = batch[i];
							const thread = findOrOpenThread(doc, contactIds[i]!, item.channel, item.at);
							recordActivity(doc, thread.threadId, {
								at: item.at,
								preview: previewOf(item.preview),
								direction: 'in',
								...(item.missedCall ? { missedCall: true } : {})
							});
							threads[i] = thread;
							counted.push({ kind: 'journal-thread', seq: batch[i].seq, threadId: thread.threadId, contactId: contactIds[i]! });
						});
				});
			}
			const byThread = new Map<string, number[]>();
			threads.forEach((t, i) => {
				if (t && !failed.has(i)) byThread.set(t.threadId, [...(byThread.get(t.threadId) ?? []), i]);
			});
			for (const [threadId, indexes] of byThread) {
				const thread = await open(docNames.thread(clinicId, threadId));
				// Filled as each entry is written: an entry the domain refuses leaves no side rows.
				const sideRows: SideRow[] = [];
				await rows.transact(thread, sideRows, (doc) => {
					for (const i of indexes)
						attempt(i, () => {
							const { seq, item } = batch[i];
							entryIds[i] = appendEntry(doc, item.entry);
							sideRows.push(
								{ kind: 'inbound', provider: item.provider, messageId: item.messageId },
								{ kind: 'journal-done', seq }
							);
						});
				});
			}
			await Promise.all(handles.map((h) => h.whenDurable()));
		} catch (error) {
			forgetAll(error);
		}
		return batch.map(
			(_, i): Written | Error =>
				failed.get(i) ?? {
					contactId: contactIds[i]!,
					entryId: entryIds[i],
					threadId: threads[i]!.threadId,
					newThread: threads[i]!.newThread
				}
		);
	}
}
