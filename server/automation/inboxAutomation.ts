import type * as Y from 'yjs';
import type { ChannelKind } from '../../src/lib/domain/contacts.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import {
	assignThread,
	effectiveStatus,
	listThreadSummaries,
	markAwaySent,
	readThreadSummary
} from '../../src/lib/domain/inbox.ts';
import {
	clinicHoursOf,
	inboxRules,
	isOutsideHours,
	type ClinicHours,
	type InboxRules,
	lastAutoAssigned,
	nextAssignee,
	recordAutoAssigned,
	staffOnDuty
} from '../../src/lib/domain/inboxRules.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { appendEvent, queueReply } from '../../src/lib/domain/thread.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { SyncHooks } from '../sync/index.ts';

/** What the channels' ingest reports once an incoming message is durable. */
export interface InboundNotice {
	clinicId: string;
	threadId: string;
	contactId: string;
	channel: ChannelKind;
	newThread: boolean;
	at: string;
}

/** The sync server's write seam, as much of it as automation needs. */
export interface DocWriter {
	read<T>(docName: string, view: (doc: Y.Doc) => T): Promise<T>;
	write(docName: string, origin: TransactionOrigin, edit: (doc: Y.Doc) => void): Promise<void>;
}

/** The author of what the clinic's automation writes (an id, as staff authors are). */
export const AUTOMATION_AUTHOR = 'automation';

const ASSIGN: TransactionOrigin = { source: 'job', name: 'auto-assign' };
const AWAY: TransactionOrigin = { source: 'job', name: 'away-message' };

/** Channels a message can be answered on by the server (calls and web forms cannot). */
const REPLYABLE: readonly ChannelKind[] = ['whatsapp', 'instagram'];

/**
 * Reacts to each incoming message by the clinic's inbox rules (Settings → Inbox): an unassigned open thread goes to
 * the next person on duty with room under the cap (round-robin), and outside business hours the away message is
 * queued once per conversation — right after the patient wrote, so within WhatsApp's 24-hour window. The reply is
 * queued like a person's, and the dispatcher sends it. Runs after the webhook answered; a failure is logged only.
 */
export class InboxAutomation implements SyncHooks {
	readonly #docs: DocWriter;
	readonly #store: Store;
	readonly #logger: Logger;
	readonly #onQueued: (threadDoc: string) => void;
	// One clinic's notices are handled one after another: two messages at once must not both take "the next person".
	readonly #chains = new Map<string, Promise<void>>();
	/** Each clinic's rules and hours as last read, until its directory changes (read per message otherwise). */
	readonly #settings = new Map<string, { rules: InboxRules; hours: ClinicHours }>();

	constructor(deps: { docs: DocWriter; store: Store; logger: Logger; onQueued?: (threadDoc: string) => void }) {
		this.#docs = deps.docs;
		this.#store = deps.store;
		this.#logger = deps.logger;
		this.#onQueued = deps.onQueued ?? (() => {});
	}

	/** A committed change of a clinic's directory: its rules and hours are read again at the next message. */
	onCommitted({ kind, clinicId }: { kind: string; clinicId: string }): void {
		if (kind === 'directory') this.#settings.delete(clinicId);
	}

	onInbound(notice: InboundNotice): Promise<void> {
		const previous = this.#chains.get(notice.clinicId) ?? Promise.resolve();
		const next = previous.then(() => this.#handle(notice));
		const settled = next.catch((error: unknown) => {
			this.#logger.error(
				{ clinicId: notice.clinicId, threadId: notice.threadId, err: errorMessage(error) },
				'inbox automation failed'
			);
		});
		this.#chains.set(notice.clinicId, settled);
		void settled.then(() => {
			if (this.#chains.get(notice.clinicId) === settled) this.#chains.delete(notice.clinicId);
		});
		return settled;
	}

	async #handle(notice: InboundNotice): Promise<void> {
		const { clinicId, threadId } = notice;
		const at = new Date(notice.at);
		let settings = this.#settings.get(clinicId);
		if (!settings) {
			settings = await this.#docs.read(docNames.directory(clinicId), (directory) => ({
				rules: inboxRules(directory),
				hours: clinicHoursOf(directory)
			}));
			this.#settings.set(clinicId, settings);
		}
		const { rules, hours } = settings;
		if (rules.autoAssign) await this.#assign(clinicId, threadId, rules.capPerPerson, at);
		if (rules.awayMessage && REPLYABLE.includes(notice.channel) && isOutsideHours(hours, at)) {
			await this.#sendAway(clinicId, threadId, notice.channel, rules.awayText, at);
		}
	}

	async #assign(clinicId: string, threadId: string, cap: number, now: Date): Promise<void> {
		const active = new Set((await this.#store.users.listForClinic(clinicId)).filter((u) => u.active).map((u) => u.id));
		let chosen: string | null = null;
		await this.#docs.write(docNames.inbox(clinicId), ASSIGN, (inbox) => {
			const summary = readThreadSummary(inbox, threadId);
			if (!summary || summary.assigneeId !== null || effectiveStatus(summary, now) !== 'open') return;
			const open = new Map<string, number>();
			for (const s of listThreadSummaries(inbox)) {
				if (s.assigneeId && effectiveStatus(s, now) === 'open') open.set(s.assigneeId, (open.get(s.assigneeId) ?? 0) + 1);
			}
			const candidates = staffOnDuty(inbox).filter((u) => active.has(u));
			chosen = nextAssignee(candidates, lastAutoAssigned(inbox), (u) => open.get(u) ?? 0, cap);
			if (chosen === null) return;
			assignThread(inbox, threadId, chosen);
			recordAutoAssigned(inbox, chosen);
		});
		if (chosen === null) {
			this.#logger.info({ clinicId, threadId }, 'nobody on duty with room: thread left unassigned');
			return;
		}
		const assignee: string = chosen;
		await this.#docs.write(docNames.thread(clinicId, threadId), ASSIGN, (thread) =>
			appendEvent(thread, { at: now.toISOString(), text: '', details: { type: 'autoAssigned', assigneeId: assignee } })
		);
	}

	async #sendAway(clinicId: string, threadId: string, channel: ChannelKind, text: string, now: Date): Promise<void> {
		let due = false;
		await this.#docs.write(docNames.inbox(clinicId), AWAY, (inbox) => {
			const summary = readThreadSummary(inbox, threadId);
			if (!summary || summary.awaySentAt !== null) return;
			markAwaySent(inbox, threadId, now.toISOString());
			due = true;
		});
		if (!due) return;
		const threadDoc = docNames.thread(clinicId, threadId);
		await this.#docs.write(threadDoc, AWAY, (thread) => queueReply(thread, { channel, text, authorId: AUTOMATION_AUTHOR }, now));
		this.#onQueued(threadDoc);
	}
}
