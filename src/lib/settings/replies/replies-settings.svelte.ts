import { ZodError } from 'zod';
import type * as Y from 'yjs';
import {
	listCannedReplies,
	listTemplates,
	RepliesError,
	type CannedReply,
	type WhatsAppTemplate
} from '$lib/domain/cannedReplies.ts';
import { docNames } from '$lib/domain/docName.ts';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';
import type { ClinicSync, DocHandle } from '$lib/sync/clinic-sync.svelte.ts';
import { watchDoc } from '$lib/sync/watchDoc.ts';

const PROBLEMS: Record<string, MessageKey> = {
	'replies.title': 'replies.problem.title',
	'replies.text': 'replies.problem.text',
	'replies.templateName': 'replies.problem.templateName',
	'replies.language': 'replies.problem.language',
	'replies.params': 'replies.problem.params',
	'replies.preview': 'replies.problem.preview',
	'replies.tooMany': 'replies.problem.tooMany',
	'replies.missing': 'replies.problem.missing'
};

/**
 * The clinic's canned replies and WhatsApp templates as Settings → Replies edits them (REPLIES-*), re-read on every
 * change of the directory doc. A refused write comes back as the message to show; the doc is unchanged.
 */
export class RepliesSettings {
	replies = $state<CannedReply[]>([]);
	templates = $state<WhatsAppTemplate[]>([]);
	loaded = $state(false);
	readonly #directory: DocHandle;
	#destroyed = false;

	constructor(sync: ClinicSync, clinicId: string) {
		this.#directory = watchDoc(sync, docNames.directory(clinicId), this.#read);
		void this.#directory.loaded.then(() => {
			if (!this.#destroyed) this.loaded = true;
		});
	}

	write(change: (doc: Y.Doc) => unknown): MessageKey | null {
		try {
			change(this.#directory.doc);
			return null;
		} catch (error) {
			if (error instanceof ZodError) return PROBLEMS[error.issues[0]?.message ?? ''] ?? 'replies.problem.invalid';
			if (error instanceof RepliesError) return PROBLEMS[error.message] ?? 'replies.problem.invalid';
			throw error;
		}
	}

	destroy(): void {
		if (this.#destroyed) return;
		this.#destroyed = true;
		this.#directory.release();
	}

	readonly #read = (doc: Y.Doc) => {
		this.replies = listCannedReplies(doc);
		this.templates = listTemplates(doc);
	};
}
