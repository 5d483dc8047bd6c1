import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { parseDocName } from '$lib/domain/docName.ts';
import { kindSpec, type KeepPolicy } from '$lib/domain/kinds.ts';
import type { FrontdeskDatabase } from './db.ts';
import { DocPersistence } from './DocPersistence.ts';

/** Released docs of the `recent` kinds (threads, months) kept open, most recent last; older ones are closed. */
export const KEEP_RECENT_DOCS = 6;

/** A screen's hold on a doc: the doc stays open until every holder released it (and then as its kind's policy says). */
export interface DocHandle {
	readonly name: string;
	readonly doc: Y.Doc;
	/** Resolves once the doc holds what IndexedDB had: the UI can render without the network. */
	readonly loaded: Promise<void>;
	/** Who is on the doc right now (presence), synced over the doc's socket; absent where nothing syncs it. */
	readonly awareness?: Awareness;
	/** Gives the hold back; a second call does nothing. */
	release(): void;
}

/** What the owner adds to each open doc (its socket) and takes down when the doc closes. */
export interface DocAttachment {
	close(): void;
	/** The doc's presence, when the attachment syncs one. */
	readonly awareness?: Awareness;
}

interface OpenDoc<A extends DocAttachment> {
	doc: Y.Doc;
	persistence: DocPersistence;
	attachment: A;
	holders: number;
	keep: KeepPolicy;
}

export interface DocHandlesOptions<A extends DocAttachment> {
	/** Connects a doc that just opened (called once per opening). */
	attach(name: string, doc: Y.Doc, persistence: DocPersistence): A;
	keepRecent?: number;
}

/**
 * The docs open on this device, acquired and released by the screens that use them and kept or closed by the
 * keep-policy of their kind (`src/lib/domain/kinds.ts`). Closing a doc closes its socket and frees its memory
 * once its last updates are on disk; its data stays in IndexedDB for the next opening.
 */
export class DocHandles<A extends DocAttachment> {
	readonly #db: FrontdeskDatabase;
	readonly #attach: DocHandlesOptions<A>['attach'];
	readonly #keepRecent: number;
	readonly #open = new Map<string, OpenDoc<A>>();
	/** Released `recent` docs still open, least recently released first (a Map keeps insertion order). */
	readonly #recent = new Map<string, OpenDoc<A>>();
	/** Docs being closed: a reopening loads only after their last writes, so it reads everything. */
	readonly #closing = new Map<string, Promise<void>>();
	#closed = false;

	constructor(db: FrontdeskDatabase, options: DocHandlesOptions<A>) {
		this.#db = db;
		this.#attach = options.attach;
		this.#keepRecent = options.keepRecent ?? KEEP_RECENT_DOCS;
	}

	acquire(name: string): DocHandle {
		if (this.#closed) throw new Error('the device’s docs are closed');
		const open = this.#open.get(name) ?? this.#openDoc(name);
		this.#recent.delete(name);
		open.holders++;
		let released = false;
		return {
			name,
			doc: open.doc,
			loaded: open.persistence.ready,
			...(open.attachment.awareness ? { awareness: open.attachment.awareness } : {}),
			release: () => {
				if (released) return;
				released = true;
				this.#release(name, open);
			}
		};
	}

	/** Names of the open docs (held or kept). */
	get openNames(): string[] {
		return [...this.#open.keys()];
	}

	/** The attachment of one open doc (held or kept), if it is open. */
	attachmentOf(name: string): A | undefined {
		return this.#open.get(name)?.attachment;
	}

	/** The attachments of every open doc, e.g. to pause every socket. */
	attachments(): A[] {
		return [...this.#open.values()].map((o) => o.attachment);
	}

	/** Resolves once every open doc's updates so far are on disk (and every closing doc's), e.g. before reading them back. */
	async flushAll(): Promise<void> {
		await Promise.all([...[...this.#open.values()].map((o) => o.persistence.flushed()), ...this.#closing.values()]);
	}

	/** Closes every doc, held or not (sign-out); resolves once every write is on disk. */
	async closeAll(): Promise<void> {
		this.#closed = true;
		for (const name of [...this.#open.keys()]) this.#close(name);
		await Promise.all(this.#closing.values());
	}

	#openDoc(name: string): OpenDoc<A> {
		const parsed = parseDocName(name);
		if (!parsed) throw new Error(`not a valid doc name: ${name}`);
		// Kinds that keep their history (notes) are not garbage-collected here either: a saved version is shown
		// from a snapshot, which needs the deleted content.
		const doc = new Y.Doc({ gc: !kindSpec(parsed.kind).keepHistory });
		const persistence = new DocPersistence(this.#db, name, doc, this.#closing.get(name));
		const open: OpenDoc<A> = {
			doc,
			persistence,
			attachment: this.#attach(name, doc, persistence),
			holders: 0,
			keep: kindSpec(parsed.kind).keep
		};
		this.#open.set(name, open);
		return open;
	}

	#release(name: string, open: OpenDoc<A>): void {
		// A handle of a doc closed meanwhile (sign-out) has nothing left to give back.
		if (this.#open.get(name) !== open) return;
		open.holders--;
		if (open.holders > 0 || open.keep === 'signed-in') return;
		if (open.keep === 'on-demand') return this.#close(name);
		this.#recent.set(name, open);
		if (this.#recent.size > this.#keepRecent) this.#close(this.#recent.keys().next().value!);
	}

	#close(name: string): void {
		const open = this.#open.get(name);
		if (!open) return;
		this.#open.delete(name);
		this.#recent.delete(name);
		open.attachment.close();
		// After an earlier closing of the same name, so waiting on the latest waits on every one.
		const previous = this.#closing.get(name) ?? Promise.resolve();
		const closing: Promise<void> = previous
			.then(() => open.persistence.flushed())
			.catch(() => {})
			.then(() => {
				open.persistence.destroy();
				open.doc.destroy();
			})
			.finally(() => {
				if (this.#closing.get(name) === closing) this.#closing.delete(name);
			});
		this.#closing.set(name, closing);
	}
}
