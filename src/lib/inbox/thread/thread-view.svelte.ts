import { ZodError } from 'zod';
import type * as Y from 'yjs';
import { listCannedReplies, listTemplates, type CannedReply, type WhatsAppTemplate } from '$lib/domain/cannedReplies.ts';
import { clinicProfile } from '$lib/domain/clinicSettings.ts';
import { contactLabel, resolveContact, type Contact } from '$lib/domain/contacts.ts';
import { mergePatients } from '$lib/domain/patients.ts';
import { docNames } from '$lib/domain/docName.ts';
import {
	assignThread,
	addThreadTag,
	effectiveStatus,
	listThreadSummaries,
	markThreadRead,
	mergeThreads,
	noteMentions,
	previewOf,
	readThreadSummary,
	recordActivity,
	removeThreadTag,
	setThreadStatus,
	snoozeThread,
	clearMissedCall,
	type ThreadStatus,
	type ThreadSummary
} from '$lib/domain/inbox.ts';
import {
	addComment,
	appendEvent,
	copyEntries,
	lastInboundAt,
	markCallbackDone,
	queueReply,
	readEntries,
	retryReply,
	type ThreadEntry
} from '$lib/domain/thread.ts';
import type { DocHandle } from '$lib/local/DocHandles.ts';
import { awarenessOf, ThreadPresence } from './presence.svelte.ts';
import { currentTime } from './time.ts';

/** What went wrong with a write, for the screen to say; the doc is unchanged. */
export type WriteProblem = 'invalid' | 'missing' | 'refused';

interface Sync {
	acquire(name: string): DocHandle;
}

/** A thread another can be merged into, as the merge picker lists it. */
export interface MergeTarget {
	summary: ThreadSummary;
	contact: Contact | null;
	label: string;
	sameContact: boolean;
}

/**
 * One open thread as its screen sees it (issue #9): the conversation, its summary in the inbox doc, its contact,
 * the clinic's canned replies and templates, who else is here. Every write goes through a domain function; a
 * refused input comes back as a problem and changes nothing. While open, the thread stays read for the user.
 */
export class ThreadView {
	entries = $state<ThreadEntry[]>([]);
	summary = $state<ThreadSummary | null>(null);
	contact = $state<Contact | null>(null);
	cannedReplies = $state<CannedReply[]>([]);
	templates = $state<WhatsAppTemplate[]>([]);
	timeZone = $state('Europe/Istanbul');
	lastInboundAt = $state<string | null>(null);
	/** A clock for the 24-hour window and snoozes, ticking every half minute. */
	now = $state(currentTime());
	loaded = $state(false);
	readonly presence: ThreadPresence;
	readonly threadId: string;
	readonly #userId: string;
	readonly #clinicId: string;
	readonly #sync: Sync;
	readonly #handles: DocHandle[] = [];
	readonly #thread: DocHandle;
	readonly #inbox: DocHandle;
	readonly #contacts: DocHandle;
	readonly #stops: (() => void)[] = [];
	#destroyed = false;

	constructor(sync: Sync, user: { id: string; clinicId: string; name: string }, threadId: string) {
		this.#sync = sync;
		this.threadId = threadId;
		this.#userId = user.id;
		this.#clinicId = user.clinicId;
		this.#thread = this.#watch(docNames.thread(user.clinicId, threadId), this.#readThread);
		this.#inbox = this.#watch(docNames.inbox(user.clinicId), this.#readSummary);
		this.#contacts = this.#watch(docNames.contacts(user.clinicId), this.#readSummary);
		this.#watch(docNames.directory(user.clinicId), this.#readDirectory);
		this.presence = new ThreadPresence(awarenessOf(this.#thread), { id: user.id, name: user.name });
		const timer = setInterval(() => (this.now = currentTime()), 30_000);
		this.#stops.push(() => clearInterval(timer));
		void Promise.all(this.#handles.map((h) => h.loaded)).then(() => {
			if (this.#destroyed) return;
			this.loaded = true;
			this.#keepRead();
		});
	}

	get status(): ThreadStatus | null {
		return this.summary ? effectiveStatus(this.summary, this.now) : null;
	}

	get contactName(): string {
		return this.contact ? contactLabel(this.contact) : '';
	}

	reply(text: string): WriteProblem | null {
		const channel = this.summary?.channel;
		if (!channel) return 'missing';
		return this.#write(() => {
			queueReply(this.#thread.doc, { channel, text, authorId: this.#userId });
			recordActivity(this.#inbox.doc, this.threadId, {
				at: currentTime().toISOString(),
				preview: previewOf(text),
				direction: 'out'
			});
		});
	}

	replyWithTemplate(template: WhatsAppTemplate, params: string[], text: string): WriteProblem | null {
		const channel = this.summary?.channel;
		if (!channel) return 'missing';
		return this.#write(() => {
			queueReply(this.#thread.doc, {
				channel,
				text,
				authorId: this.#userId,
				template: { name: template.name, language: template.language, params }
			});
			recordActivity(this.#inbox.doc, this.threadId, {
				at: currentTime().toISOString(),
				preview: previewOf(text),
				direction: 'out'
			});
		});
	}

	comment(text: string, mentions: string[]): WriteProblem | null {
		return this.#write(() => {
			addComment(this.#thread.doc, { text, authorId: this.#userId, mentions });
			recordActivity(this.#inbox.doc, this.threadId, {
				at: currentTime().toISOString(),
				preview: previewOf(text),
				direction: 'note'
			});
			const others = mentions.filter((id) => id !== this.#userId);
			if (others.length > 0) noteMentions(this.#inbox.doc, this.threadId, others);
		});
	}

	retry(entryId: string): WriteProblem | null {
		return this.#write(() => retryReply(this.#thread.doc, entryId));
	}

	callbackDone(entryId: string): WriteProblem | null {
		return this.#write(() => {
			markCallbackDone(this.#thread.doc, entryId);
			const open = readEntries(this.#thread.doc).some(
				(e) => e.kind === 'call' && e.details.outcome === 'missed' && !e.callbackDone
			);
			if (!open) clearMissedCall(this.#inbox.doc, this.threadId);
		});
	}

	assign(userId: string | null): WriteProblem | null {
		return this.#write(() => assignThread(this.#inbox.doc, this.threadId, userId));
	}

	setStatus(status: ThreadStatus): WriteProblem | null {
		return this.#write(() => {
			// Choosing a status ends a snooze: a thread opened or closed by hand does not wake up later.
			if (this.summary?.snoozedUntil) snoozeThread(this.#inbox.doc, this.threadId, null);
			setThreadStatus(this.#inbox.doc, this.threadId, status);
		});
	}

	snooze(untilIso: string | null): WriteProblem | null {
		return this.#write(() => snoozeThread(this.#inbox.doc, this.threadId, untilIso));
	}

	addTag(tag: string): WriteProblem | null {
		return this.#write(() => addThreadTag(this.#inbox.doc, this.threadId, tag));
	}

	removeTag(tag: string): WriteProblem | null {
		return this.#write(() => removeThreadTag(this.#inbox.doc, this.threadId, tag));
	}

	/** Every other thread this one could be merged into, the same contact's first. */
	mergeTargets(): MergeTarget[] {
		return listThreadSummaries(this.#inbox.doc)
			.filter((s) => s.id !== this.threadId)
			.map((summary) => {
				const contact = resolveContact(this.#contacts.doc, summary.contactId);
				return { summary, contact, label: contact ? contactLabel(contact) : '', sameContact: contact?.id === this.contact?.id };
			})
			.sort((a, b) => Number(b.sameContact) - Number(a.sameContact));
	}

	/**
	 * Merges this thread into `keepId` (THREAD-MERGE-1): every entry copied there, the summaries combined, the two
	 * contacts merged when they differ, and an event in the kept thread recording it. Nothing is deleted.
	 */
	async mergeInto(keepId: string, eventText: string): Promise<WriteProblem | null> {
		const keep = readThreadSummary(this.#inbox.doc, keepId);
		const gone = this.summary;
		if (!keep || !gone) return 'missing';
		const target = this.#sync.acquire(docNames.thread(this.#clinicId, keepId));
		try {
			await target.loaded;
			await this.#thread.loaded;
			return this.#write(() => {
				// The summary side first: it refuses a thread already merged or missing before anything is copied.
				mergeThreads(this.#inbox.doc, keepId, gone.id);
				copyEntries(this.#thread.doc, target.doc);
				appendEvent(target.doc, {
					at: currentTime().toISOString(),
					text: eventText,
					details: { merge: { from: gone.id, name: this.contactName } }
				});
				const keepContact = resolveContact(this.#contacts.doc, keep.contactId);
				const goneContact = resolveContact(this.#contacts.doc, gone.contactId);
				if (keepContact && goneContact && keepContact.id !== goneContact.id)
					// As a patient merge: the record (consents, tags, birth date) follows too.
					mergePatients(this.#contacts.doc, keepContact.id, goneContact.id, { at: currentTime(), userId: this.#userId });
			});
		} finally {
			target.release();
		}
	}

	destroy(): void {
		if (this.#destroyed) return;
		this.#destroyed = true;
		this.presence.destroy();
		for (const stop of this.#stops) stop();
		for (const h of this.#handles) h.release();
	}

	#watch(name: string, read: (doc: Y.Doc) => void): DocHandle {
		const handle = this.#sync.acquire(name);
		const onChange = () => {
			if (!this.#destroyed) read(handle.doc);
		};
		handle.doc.on('update', onChange);
		this.#stops.push(() => handle.doc.off('update', onChange));
		this.#handles.push(handle);
		onChange();
		void handle.loaded.then(onChange);
		return handle;
	}

	#write(change: () => void): WriteProblem | null {
		try {
			change();
			return null;
		} catch (error) {
			if (error instanceof ZodError) return 'invalid';
			if (!(error instanceof Error)) throw error;
			// The domain refuses a write the doc's state does not allow (another device got there first): say so.
			return /^no /.test(error.message) ? 'missing' : 'refused';
		}
	}

	/** Read while open (THREAD-READ-1): each new inbound message counts as seen by the one looking at it. */
	#keepRead(): void {
		const s = this.summary;
		if (!this.loaded || !s || this.#destroyed) return;
		if ((s.readBy[this.#userId] ?? -1) !== s.inboundCount || s.mentioned.includes(this.#userId)) {
			markThreadRead(this.#inbox.doc, this.threadId, this.#userId);
		}
	}

	readonly #readThread = (doc: Y.Doc) => {
		this.entries = readEntries(doc);
		this.lastInboundAt = lastInboundAt(doc);
	};

	readonly #readSummary = () => {
		if (!this.#inbox || !this.#contacts) return;
		this.summary = readThreadSummary(this.#inbox.doc, this.threadId);
		this.contact = this.summary ? resolveContact(this.#contacts.doc, this.summary.contactId) : null;
		this.#keepRead();
	};

	readonly #readDirectory = (doc: Y.Doc) => {
		this.timeZone = clinicProfile(doc).timeZone;
		this.cannedReplies = listCannedReplies(doc);
		this.templates = listTemplates(doc);
	};
}
