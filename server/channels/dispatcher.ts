import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ClaimKey, ClaimOutcome, Store } from '../store/index.ts';
import type { SyncServer } from '../sync/index.ts';
import { resolveContact } from '../../src/lib/domain/contacts.ts';
import { docNames, parseDocName } from '../../src/lib/domain/docName.ts';
import { readThreadSummary } from '../../src/lib/domain/inbox.ts';
import {
	findByProviderId,
	queuedReplies,
	readEntries,
	setDeliveryStatus,
	setProviderMessageId,
	type ThreadEntry
} from '../../src/lib/domain/thread.ts';
import type { ChannelAccounts } from './accounts.ts';
import type { GraphClient } from './meta/graph.ts';
import type { SendResult } from './types.ts';

export const UNKNOWN_OUTCOME = {
	code: 'unknown_outcome',
	message: 'may not have been sent; check before retrying'
} as const;

export interface DispatcherDeps {
	sync: Pick<SyncServer, 'read' | 'write'>;
	store: Pick<Store, 'outbox'>;
	accounts: ChannelAccounts;
	graph: GraphClient;
	logger: Logger;
	/** This process's id: a claim of another (an earlier run) without an outcome is one a crash interrupted. */
	bootId: string;
	/** Waits after a rate limit: `backoffMs * 2^n`, at most `maxRateLimitRetries` times, then failed. */
	backoffMs?: number;
	maxRateLimitRetries?: number;
	now?: () => number;
}

/**
 * Sends each queued reply exactly once (CHAN-DISPATCH-*): a unique claim per (thread doc, entry, attempt) in the
 * store before the send, the provider's answer recorded on the claim before the doc is told, and a claim found
 * without an answer (a crash mid-send) shown as failed, never sent again on its own.
 */
export class Dispatcher {
	readonly #d: DispatcherDeps;
	/** Docs being worked on, and whether another look was asked for meanwhile. */
	readonly #running = new Map<string, boolean>();
	readonly #rateLimited = new Map<string, number>();
	readonly #timers = new Set<NodeJS.Timeout>();
	#stopped = false;

	constructor(deps: DispatcherDeps) {
		this.#d = deps;
	}

	/** Every thread doc that may hold queued replies, from the store's marks (no scan of all docs). */
	async start(): Promise<void> {
		for (const { docName, clinicId } of await this.#d.store.outbox.pending()) this.poke(docName, clinicId);
	}

	/** A thread doc changed (a device queued or retried a reply): look at it. */
	poke(docName: string, clinicId: string): void {
		if (this.#stopped) return;
		if (this.#running.has(docName)) {
			this.#running.set(docName, true);
			return;
		}
		this.#running.set(docName, false);
		void this.#run(docName, clinicId);
	}

	async #run(docName: string, clinicId: string): Promise<void> {
		try {
			do {
				this.#running.set(docName, false);
				await this.#dispatchDoc(docName, clinicId);
			} while (this.#running.get(docName) && !this.#stopped);
		} catch (error) {
			this.#d.logger.error({ doc: docName, err: errorMessage(error) }, 'dispatching replies failed');
		} finally {
			this.#running.delete(docName);
		}
	}

	async #dispatchDoc(docName: string, clinicId: string): Promise<void> {
		const mark = (await this.#d.store.outbox.pending()).find((p) => p.docName === docName)?.mark;
		const queued = await this.#d.sync.read(docName, queuedReplies);
		let waiting = false;
		for (const entry of queued) if ((await this.#dispatch(docName, clinicId, entry)) === 'later') waiting = true;
		if (mark === undefined || waiting) return;
		const still = await this.#d.sync.read(docName, queuedReplies);
		if (still.length === 0) await this.#d.store.outbox.clear(docName, mark);
	}

	async #dispatch(docName: string, clinicId: string, entry: ThreadEntry): Promise<'done' | 'later'> {
		const key: ClaimKey = { docName, entryId: entry.id, attempt: entry.attempt };
		const { outbox } = this.#d.store;
		if (!(await outbox.claim(key, this.#d.bootId, (this.#d.now ?? Date.now)()))) {
			const claim = await outbox.getClaim(key);
			if (!claim) return 'done';
			if (claim.outcome) await this.#record(key, entry, claim.outcome);
			else if (claim.owner !== this.#d.bootId) {
				this.#d.logger.warn({ doc: docName, entryId: entry.id, attempt: entry.attempt }, 'reply with unknown outcome');
				const outcome: ClaimOutcome = { status: 'failed', ...UNKNOWN_OUTCOME };
				await outbox.finish(key, outcome);
				await this.#record(key, entry, outcome);
			}
			return 'done';
		}
		let result: SendResult;
		try {
			result = await this.#send(docName, clinicId, entry);
		} catch (error) {
			// The request may have reached the provider: the outcome is unknown, so it is not sent again on its own.
			this.#d.logger.warn({ doc: docName, entryId: entry.id, err: errorMessage(error) }, 'send failed in transit');
			result = { ok: false, retryLater: false, ...UNKNOWN_OUTCOME };
		}
		const label = `${docName}\n${entry.id}\n${entry.attempt}`;
		if (!result.ok && result.retryLater) {
			const tries = (this.#rateLimited.get(label) ?? 0) + 1;
			if (tries <= (this.#d.maxRateLimitRetries ?? 5)) {
				this.#rateLimited.set(label, tries);
				await outbox.release(key);
				this.#later(docName, clinicId, (this.#d.backoffMs ?? 1000) * 2 ** (tries - 1));
				this.#d.logger.warn({ doc: docName, entryId: entry.id, tries, code: result.code }, 'reply rate limited');
				return 'later';
			}
		}
		this.#rateLimited.delete(label);
		const outcome: ClaimOutcome = result.ok
			? { status: 'sent', providerMessageId: result.providerMessageId }
			: { status: 'failed', code: result.code, message: result.message };
		await outbox.finish(key, outcome);
		await this.#record(key, entry, outcome);
		this.#d.logger.info(
			{
				doc: docName,
				entryId: entry.id,
				attempt: entry.attempt,
				status: outcome.status,
				...(result.ok ? {} : { code: result.code })
			},
			'reply dispatched'
		);
		return 'done';
	}

	#later(docName: string, clinicId: string, ms: number): void {
		const timer = setTimeout(() => {
			this.#timers.delete(timer);
			this.poke(docName, clinicId);
		}, ms);
		timer.unref();
		this.#timers.add(timer);
	}

	/** Writes the claim's outcome into the doc: `sent` with the provider's id, or `failed` with its reason. */
	async #record(key: ClaimKey, entry: ThreadEntry, outcome: ClaimOutcome): Promise<void> {
		const provider = (entry.channel ?? 'whatsapp') as 'whatsapp' | 'instagram';
		await this.#d.sync.write(key.docName, { source: 'channel', provider }, (doc) => {
			const current = readEntries(doc).find((e) => e.id === key.entryId);
			// A retry (a later attempt) or a merge may have moved on: only this attempt's entry is told.
			if (!current || current.attempt !== key.attempt) return;
			if (outcome.status === 'sent') {
				if (!current.providerMessageId && !findByProviderId(doc, outcome.providerMessageId))
					setProviderMessageId(doc, key.entryId, outcome.providerMessageId);
				// Forward only: a status webhook may already have moved it past `sent`.
				setDeliveryStatus(doc, key.entryId, 'sent');
			} else if (current.status === 'queued')
				setDeliveryStatus(doc, key.entryId, 'failed', { code: outcome.code, message: outcome.message });
		});
	}

	async #send(docName: string, clinicId: string, entry: ThreadEntry): Promise<SendResult> {
		const channel = entry.channel;
		if (channel !== 'whatsapp' && channel !== 'instagram')
			return { ok: false, retryLater: false, code: 'channel_cannot_send', message: `no replies through ${channel ?? 'none'}` };
		const to = await this.#recipient(docName, clinicId, channel);
		if (!to) return { ok: false, retryLater: false, code: 'no_recipient', message: 'the contact has no address on this channel' };
		const account = await this.#d.accounts.sender(clinicId, channel);
		if (!account)
			return { ok: false, retryLater: false, code: 'channel_not_connected', message: `no ${channel} account connected` };
		const template = entry.messageType === 'template' ? templateOf(entry.details) : undefined;
		const reply = { clinicId, to, text: entry.text, ...(template ? { template } : {}) };
		return channel === 'whatsapp'
			? this.#d.graph.sendWhatsapp(account.externalId, account.token, reply)
			: this.#d.graph.sendInstagram(account.externalId, account.token, reply);
	}

	/** The patient's address on the channel: the thread's contact's identity (or, for WhatsApp, a number). */
	async #recipient(docName: string, clinicId: string, channel: 'whatsapp' | 'instagram'): Promise<string | null> {
		const threadId = parseDocName(docName)?.key;
		if (!threadId) return null;
		const summary = await this.#d.sync.read(docNames.inbox(clinicId), (doc) => readThreadSummary(doc, threadId));
		if (!summary) return null;
		const contact = await this.#d.sync.read(docNames.contacts(clinicId), (doc) => resolveContact(doc, summary.contactId));
		if (!contact) return null;
		const identity = contact.identities.find((i) => i.channel === channel);
		if (identity) return identity.id;
		return channel === 'whatsapp' && contact.phones[0] ? contact.phones[0].replace(/^\+/, '') : null;
	}

	stop(): void {
		this.#stopped = true;
		for (const timer of this.#timers) clearTimeout(timer);
		this.#timers.clear();
	}
}

function templateOf(details: Record<string, unknown>): { name: string; language: string; params: string[] } | undefined {
	const t = details.template as { name?: unknown; language?: unknown; params?: unknown } | undefined;
	if (!t || typeof t.name !== 'string' || typeof t.language !== 'string') return undefined;
	return { name: t.name, language: t.language, params: Array.isArray(t.params) ? t.params.map(String) : [] };
}
