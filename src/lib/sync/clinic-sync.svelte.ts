import { liveQuery, type Subscription } from 'dexie';
import type * as Y from 'yjs';
import { api, errorCode } from '$lib/api/client.ts';
import {
	DocHandles,
	MonthIndex,
	readUnsent,
	type DocAttachment,
	type DocHandle,
	type DeleteSetLike,
	type DocPersistence,
	type FrontdeskDatabase,
	type UnsentDoc
} from '$lib/local/index.ts';
import { docNames, parseDocName } from '$lib/domain/docName.ts';
import { mayWriteDoc, type Role } from '$lib/domain/roles.ts';
import { answerToNotes } from '$lib/domain/signedNoteEdits.ts';
import { t } from '$lib/i18n/i18n.svelte.ts';
import { afterPaint } from '$lib/ui/afterPaint.ts';
import { DocConnection, type ConnectionState } from './DocConnection.ts';
import { MuxTransport } from './MuxTransport.ts';

export type SyncStatus = 'online' | 'offline' | 'syncing';

/** How long a screen may hold the sockets back at most (`holdConnecting`): one that never lets go does not stop sync. */
const HOLD_LIMIT_MS = 2_000;

export type { DocHandle, UnsentDoc };

/** Who the device syncs for: the role decides what it may send, the clinic which docs it opens. */
export interface SyncUser {
	id: string;
	role: Role;
	clinicId: string;
}

/** An open doc's socket; closing the doc closes it and forgets its state. */
interface SyncedDoc extends DocAttachment {
	connection: DocConnection;
}

/**
 * The device's synced docs: each one persisted in IndexedDB and connected to the server while a screen holds it
 * (`acquire`/`release`) or its kind's keep-policy keeps it. Exposes the one sync status the UI shows everywhere,
 * and the count of local changes the server has not confirmed yet. The clinic's directory is held from the start
 * until sign-out, so the status speaks for the device on every page, not only where a screen opened a doc.
 */
export class ClinicSync {
	browserOnline = $state(true);
	pending = $state(0);
	#states = $state<Record<string, ConnectionState>>({});
	readonly status: SyncStatus = $derived.by(() => {
		const states = Object.values(this.#states);
		// A first attempt still under way is not "offline" yet: a reload on a good network must not announce it.
		if (!this.browserOnline || states.length === 0 || states.every((s) => s === 'offline' || s === 'signed-out'))
			return 'offline';
		if (this.pending > 0 || states.some((s) => s !== 'synced')) return 'syncing';
		return 'online';
	});

	readonly #role: Role;
	readonly #userId: string;
	readonly #db: FrontdeskDatabase;
	// Not reactive on purpose: the UI reads #states, never the open docs.
	readonly #docs: DocHandles<SyncedDoc>;
	readonly #onSignedOut: () => void;
	readonly #pendingQuery: Subscription;
	#destroyed = false;
	/** Screens holding the sockets back (`holdConnecting`), and the sockets waiting for them. */
	#holds = 0;
	#held: (() => void)[] = [];
	/** Every doc of this device travels over one socket (SYNC-MUX-*), not one socket per doc. */
	readonly #transport = new MuxTransport(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`);

	constructor(db: FrontdeskDatabase, user: SyncUser, onSignedOut: () => void) {
		this.#role = user.role;
		this.#userId = user.id;
		this.#db = db;
		this.#docs = new DocHandles(db, { attach: (name, doc, persistence) => this.#connect(name, doc, persistence) });
		this.#onSignedOut = onSignedOut;
		this.browserOnline = navigator.onLine;
		this.#pendingQuery = liveQuery(() => db.pendingChanges.count()).subscribe({
			next: (count) => (this.pending = count),
			error: () => {}
		});
		window.addEventListener('online', this.#wentOnline);
		window.addEventListener('offline', this.#wentOffline);
		document.addEventListener('visibilitychange', this.#storeIfHidden);
		window.addEventListener('pagehide', this.#storeNow);
		// Kept by its policy until sign-out: the hold is never given back.
		this.#docs.acquire(docNames.directory(user.clinicId));
	}

	/**
	 * Holds the doc for a screen, loading it from IndexedDB and connecting it if it is not open yet. The screen
	 * releases the handle when it goes; the doc's kind decides whether it then stays open.
	 */
	acquire(docName: string): DocHandle {
		return this.#docs.acquire(docName);
	}

	/** Where an open doc's connection stands (reactive); undefined for a doc that is not open. */
	docState(docName: string): ConnectionState | undefined {
		return this.#states[docName];
	}

	/**
	 * Resolves once the open doc has caught up with the server (its sync step 2 arrived); stays pending while the
	 * device is offline. Rejects for a doc that is not open.
	 */
	whenSynced(docName: string): Promise<void> {
		const provider = this.#docs.attachmentOf(docName)?.connection.provider;
		if (!provider) return Promise.reject(new Error(`${docName} is not open`));
		if (provider.synced) return Promise.resolve();
		return new Promise((resolve) => {
			const onSync = (synced: boolean) => {
				if (!synced) return;
				provider.off('sync', onSync);
				resolve();
			};
			provider.on('sync', onSync);
		});
	}

	/**
	 * Holds back opening the docs' sockets while a screen draws what the device stored: opening one takes the main
	 * thread for a while (for the directory about 18 ms on the benchmark's machine, y-websocket encoding the doc for
	 * other tabs), and in the frames that bring the screen's content it holds them back. Returns the release; the
	 * sockets open once every hold is released, or `HOLD_LIMIT_MS` after this one at the latest.
	 */
	holdConnecting(): () => void {
		this.#holds++;
		let released = false;
		const release = () => {
			if (released) return;
			released = true;
			clearTimeout(limit);
			if (--this.#holds > 0) return;
			for (const connect of this.#held.splice(0)) connect();
		};
		const limit = setTimeout(release, HOLD_LIMIT_MS);
		return release;
	}

	/** Names of the docs open now (held by a screen or kept by their policy). */
	get openDocs(): string[] {
		return this.#docs.openNames;
	}

	/** What the server has not confirmed, described per doc; waits for every open doc's writes to reach the disk first. */
	async unsent(): Promise<UnsentDoc[]> {
		await this.#docs.flushAll();
		return readUnsent(this.#db);
	}

	#connect(docName: string, doc: Y.Doc, persistence: DocPersistence): SyncedDoc {
		const parsed = parseDocName(docName)!;
		let closed = false;
		const connection = new DocConnection(docName, doc, {
			url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`,
			WebSocket: this.#transport.WebSocket,
			sessionStands: async () => {
				try {
					return (await api.auth.me.query()).user !== null;
				} catch (error) {
					return errorCode(error) === 'UNAUTHORIZED' ? false : 'unreachable';
				}
			},
			onState: (state) => {
				// A closed doc's socket reports its last state as it goes: it no longer counts in the status.
				if (closed) return;
				this.#states[docName] = state;
				if (state === 'signed-out') this.#onSignedOut();
			},
			onServerStateVector: (stateVector) => void persistence.confirm(stateVector),
			onServerDeletions: (ds) => persistence.noteServerDeletions(ds),
			// Every doc rides the one socket: if it carries nothing for one, it carries nothing for any.
			onStalled: () => this.#transport.abandon(),
			readOnly: !mayWriteDoc(this.#role, parsed.kind),
			...(parsed.kind === 'note'
				? { answerServer: (state, deletions) => this.#answerToNotes(doc, persistence, state, deletions) }
				: {})
		});
		if (!this.browserOnline) connection.pause();
		this.#states[docName] = connection.state;
		// A month of the book keeps its query table while open, whichever screen opened it.
		const index =
			parsed.kind === 'schedule' && parsed.key ? new MonthIndex(this.#db, parsed.key, doc, persistence.ready, afterPaint) : null;
		// After the screen that waited for the doc has drawn it: opening the socket encodes the whole doc for the
		// other tabs (y-websocket's BroadcastChannel step 2), tens of ms for a month of a busy clinic.
		// Held back meanwhile by a screen that is drawing (`holdConnecting`): asked after the frame, so a screen mounted
		// in it has had the time to take its hold.
		void persistence.ready.then(() =>
			afterPaint(() =>
				this.#unheld(() => {
					if (!closed) connection.start();
				})
			)
		);
		return {
			connection,
			awareness: connection.provider.awareness,
			close: () => {
				closed = true;
				index?.stop();
				connection.destroy();
				delete this.#states[docName];
			}
		};
	}

	/** Runs `connect` now, or once no screen holds the sockets back. */
	#unheld(connect: () => void): void {
		if (this.#holds === 0) connect();
		else this.#held.push(connect);
	}

	/**
	 * A clinical notes doc's answer to the server (NOTES-SIGN-2): what was written offline into a note signed
	 * meanwhile becomes an addendum, and the rest goes without it, so the server takes it instead of refusing all.
	 */
	#answerToNotes(doc: Y.Doc, persistence: DocPersistence, state: Map<number, number>, deletions: DeleteSetLike): Uint8Array {
		const { update, withheld } = answerToNotes(doc, state, deletions, {
			userId: this.#userId,
			titleOf: (note) => t('notes.offlineAddendumTitle', { title: note.title || t('notes.untitled') })
		});
		persistence.settleDeletions(withheld);
		return update;
	}

	/**
	 * Changes that arrived wait up to a quarter second to be written together (DEVICE-STORE-7): written now when the
	 * device may next start without the server to send them again.
	 */
	readonly #storeNow = () => {
		this.#docs.flushAll().catch(() => {});
	};

	readonly #storeIfHidden = () => {
		if (document.visibilityState === 'hidden') this.#storeNow();
	};

	readonly #wentOffline = () => {
		this.#storeNow();
		this.browserOnline = false;
		for (const { connection } of this.#docs.attachments()) connection.pause();
		// The shared socket may outlive the network without knowing it (the OS keeps the TCP connection): back online,
		// the docs open on a fresh one, as they would each on their own.
		this.#transport.close();
	};

	readonly #wentOnline = () => {
		this.browserOnline = true;
		this.#transport.dropUnopened();
		for (const { connection } of this.#docs.attachments()) connection.reconnect();
	};

	/** Closes every socket and stops writing to IndexedDB; waits for pending writes so a wipe after it is final. */
	async destroy(): Promise<void> {
		if (this.#destroyed) return;
		this.#destroyed = true;
		window.removeEventListener('online', this.#wentOnline);
		window.removeEventListener('offline', this.#wentOffline);
		document.removeEventListener('visibilitychange', this.#storeIfHidden);
		window.removeEventListener('pagehide', this.#storeNow);
		this.#pendingQuery.unsubscribe();
		await this.#docs.closeAll();
		this.#transport.close();
	}
}
