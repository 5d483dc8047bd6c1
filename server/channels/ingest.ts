import type * as Y from 'yjs';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SideRow, Store } from '../store/index.ts';
import type { DocHandle } from '../sync/index.ts';
import type { ChannelKind, ContactQuery } from '../../src/lib/domain/contacts.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import { previewOf, recordActivity } from '../../src/lib/domain/inbox.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import type { ChannelRows } from './channelRows.ts';
import type { HeldDocs } from './heldDocs.ts';
import { findOrCreateContactFast, findOrOpenThread } from './lookup.ts';
import type { InboundAutomation } from './types.ts';

/** One inbound event of any channel, ready to be written: who it is from, and how it enters the thread. */
export interface InboundItem {
	clinicId: string;
	channel: ChannelKind;
	/** The dedupe key's namespace and value: the provider's id of the message, call or submission. */
	provider: string;
	messageId: string;
	at: string;
	contact: ContactQuery & { name?: string };
	preview: string;
	missedCall?: boolean;
	/** The domain write of the entry (appendInbound, appendCall, appendForm); returns the entry's id. */
	append(doc: Y.Doc): string;
}

export interface IngestResult {
	duplicate: boolean;
	threadId: string;
	contactId: string;
	entryId: string;
	newThread: boolean;
}

export interface IngestDeps {
	held: HeldDocs;
	rows: ChannelRows;
	store: Pick<Store, 'inboundMessages'>;
	logger: Logger;
	automation?: InboundAutomation;
}

interface Pending {
	item: InboundItem;
	resolve(result: IngestResult): void;
	reject(error: unknown): void;
}

/** Events written per batch: one transaction per doc for all of them. */
const MAX_BATCH = 200;

const originOf = (channel: ChannelKind): TransactionOrigin => ({ source: 'channel', provider: channel });

/**
 * Writes inbound events into the clinic's contacts, inbox and thread docs, durably and once (CHAN-DEDUPE-*,
 * CHAN-DURABLE-1). A clinic's events of one channel are written by one worker in batches: each batch is one transaction per
 * doc, so a busy webhook pays for one group commit per batch, and two events from one new contact find the
 * contact the first one made. Answering waits for the batch to be stored; events arriving meanwhile form the next.
 */
export class Ingest {
	readonly #deps: IngestDeps;
	readonly #queues = new Map<string, Pending[]>();
	readonly #inFlight = new Map<string, Promise<IngestResult>>();

	constructor(deps: IngestDeps) {
		this.#deps = deps;
	}

	/**
	 * Resolves once the event is durable (or was before: `duplicate`). A delivery of an id being written waits for
	 * that write instead of writing again; an id already stored is not written again.
	 */
	ingest(item: InboundItem): Promise<IngestResult> {
		const key = `${item.provider}\n${item.messageId}`;
		const running = this.#inFlight.get(key);
		if (running) return running.then((r) => ({ ...r, duplicate: true }));
		const work = this.#ingestOnce(item).finally(() => this.#inFlight.delete(key));
		this.#inFlight.set(key, work);
		return work;
	}

	async #ingestOnce(item: InboundItem): Promise<IngestResult> {
		if (await this.#deps.store.inboundMessages.seen(item.provider, item.messageId))
			return { duplicate: true, threadId: '', contactId: '', entryId: '', newThread: false };
		const result = await new Promise<IngestResult>((resolve, reject) => {
			const queueKey = `${item.clinicId}\n${item.channel}`;
			let queue = this.#queues.get(queueKey);
			const start = !queue;
			if (!queue) this.#queues.set(queueKey, (queue = []));
			queue.push({ item, resolve, reject });
			if (start) void this.#drain(queueKey);
		});
		const automation = this.#deps.automation;
		if (automation && !result.duplicate) {
			// Never holds up the webhook's answer, and a failure there is the automation's to report.
			setImmediate(() => {
				Promise.resolve(
					automation.onInbound({
						clinicId: item.clinicId,
						threadId: result.threadId,
						contactId: result.contactId,
						channel: item.channel,
						newThread: result.newThread,
						at: item.at
					})
				).catch((error: unknown) =>
					this.#deps.logger.error(
						{ clinicId: item.clinicId, threadId: result.threadId, err: errorMessage(error) },
						'automation failed'
					)
				);
			});
		}
		return result;
	}

	async #drain(queueKey: string): Promise<void> {
		const queue = this.#queues.get(queueKey)!;
		while (queue.length > 0) {
			const batch = queue.splice(0, MAX_BATCH);
			try {
				const { stored } = await this.#write(batch);
				void stored.then(
					(results) =>
						batch.forEach((p, i) => {
							const result = results[i];
							if (result instanceof Error) p.reject(result);
							else p.resolve(result);
						}),
					(error: unknown) => batch.forEach((p) => p.reject(error))
				);
				// The next batch is taken once this one is stored: the docs could not take it sooner (a server write
				// waits for the doc's last commit), and what arrives meanwhile joins it, so more events share a commit.
				await stored.catch(() => undefined);
			} catch (error) {
				this.#deps.logger.error(
					{ clinicId: batch[0].item.clinicId, events: batch.length, err: errorMessage(error) },
					'inbound write failed'
				);
				for (const p of batch) p.reject(error);
			}
		}
		this.#queues.delete(queueKey);
	}

	/**
	 * Applies a batch to the docs (all of one clinic and channel); `stored` resolves once it is durable, with each
	 * event's result or the error that kept that event out (an input the domain refuses changes nothing). A doc
	 * whose storage failed closes: its held handle is dropped, so the provider's retry opens the doc anew.
	 */
	async #write(batch: Pending[]): Promise<{ stored: Promise<(IngestResult | Error)[]> }> {
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
		const contactIds: string[] = [];
		const threads: { threadId: string; newThread: boolean }[] = [];
		const entryIds: string[] = [];
		try {
			const contacts = await open(docNames.contacts(clinicId));
			const inbox = await open(docNames.inbox(clinicId));
			await contacts.transact((doc) => {
				batch.forEach(({ item }, i) =>
					attempt(i, () => (contactIds[i] = findOrCreateContactFast(doc, item.contact, new Date(item.at))))
				);
			});
			await inbox.transact((doc) => {
				batch.forEach(({ item }, i) =>
					attempt(i, () => {
						threads[i] = findOrOpenThread(doc, contactIds[i], item.channel, item.at);
						recordActivity(doc, threads[i].threadId, {
							at: item.at,
							preview: previewOf(item.preview),
							direction: 'in',
							...(item.missedCall ? { missedCall: true } : {})
						});
					})
				);
			});
			const byThread = new Map<string, number[]>();
			threads.forEach((t, i) => {
				if (t && !failed.has(i)) byThread.set(t.threadId, [...(byThread.get(t.threadId) ?? []), i]);
			});
			for (const [threadId, indexes] of byThread) {
				const thread = await open(docNames.thread(clinicId, threadId));
				const sideRows: SideRow[] = indexes.map((i) => ({
					kind: 'inbound',
					provider: batch[i].item.provider,
					messageId: batch[i].item.messageId
				}));
				await rows.transact(thread, sideRows, (doc) => {
					for (const i of indexes) attempt(i, () => (entryIds[i] = batch[i].item.append(doc)));
				});
			}
		} catch (error) {
			forgetAll(error);
		}
		const stored = Promise.all(handles.map((h) => h.whenDurable())).then(
			() =>
				batch.map(
					(_, i): IngestResult | Error =>
						failed.get(i) ?? { duplicate: false, contactId: contactIds[i], entryId: entryIds[i], ...threads[i] }
				),
			forgetAll
		);
		return { stored };
	}
}
