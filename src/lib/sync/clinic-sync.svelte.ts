import { liveQuery, type Subscription } from 'dexie';
import * as Y from 'yjs';
import { api, errorCode } from '$lib/api/client.ts';
import { DocPersistence, type FrontdeskDatabase } from '$lib/local/index.ts';
import { parseDocName } from '$lib/domain/docName.ts';
import { mayWriteDoc, type Role } from '$lib/domain/roles.ts';
import { DocConnection, type ConnectionState } from './DocConnection.ts';

export type SyncStatus = 'online' | 'offline' | 'syncing';

export interface OpenDoc {
	doc: Y.Doc;
	/** Resolves once the doc holds what IndexedDB had: the UI can render without the network. */
	loaded: Promise<void>;
	persistence: DocPersistence;
	connection: DocConnection;
}

/**
 * The device's synced docs: each one persisted in IndexedDB and connected to the server. Exposes the one
 * sync status the UI shows everywhere, and the count of local changes the server has not confirmed yet.
 */
export class ClinicSync {
	browserOnline = $state(true);
	pending = $state(0);
	#states = $state<Record<string, ConnectionState>>({});
	readonly status: SyncStatus = $derived.by(() => {
		const states = Object.values(this.#states);
		if (!this.browserOnline || states.length === 0 || states.every((s) => s === 'offline' || s === 'connecting'))
			return 'offline';
		if (this.pending > 0 || states.some((s) => s !== 'synced')) return 'syncing';
		return 'online';
	});

	readonly #db: FrontdeskDatabase;
	readonly #role: Role;
	// Not reactive on purpose: the UI reads #states, never the docs map.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	readonly #docs = new Map<string, OpenDoc>();
	readonly #onSignedOut: () => void;
	readonly #pendingQuery: Subscription;
	#destroyed = false;

	constructor(db: FrontdeskDatabase, role: Role, onSignedOut: () => void) {
		this.#db = db;
		this.#role = role;
		this.#onSignedOut = onSignedOut;
		this.browserOnline = navigator.onLine;
		this.#pendingQuery = liveQuery(() => db.pendingChanges.count()).subscribe({
			next: (count) => (this.pending = count),
			error: () => {}
		});
		window.addEventListener('online', this.#wentOnline);
		window.addEventListener('offline', this.#wentOffline);
	}

	/** The doc, loading it from IndexedDB and connecting it if it is not open yet. */
	open(docName: string): OpenDoc {
		const existing = this.#docs.get(docName);
		if (existing) return existing;
		const parsed = parseDocName(docName);
		if (!parsed) throw new Error(`not a valid doc name: ${docName}`);
		const doc = new Y.Doc();
		const persistence = new DocPersistence(this.#db, docName, doc);
		const connection = new DocConnection(docName, doc, {
			url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`,
			sessionStands: async () => {
				try {
					return (await api.auth.me.query()).user !== null;
				} catch (error) {
					return errorCode(error) === 'UNAUTHORIZED' ? false : 'unreachable';
				}
			},
			onState: (state) => {
				this.#states[docName] = state;
				if (state === 'signed-out') this.#onSignedOut();
			},
			onServerStateVector: (stateVector) => void persistence.confirm(stateVector),
			readOnly: !mayWriteDoc(this.#role, parsed.kind)
		});
		if (!this.browserOnline) connection.pause();
		this.#states[docName] = connection.state;
		void persistence.ready.then(() => connection.start());
		const open: OpenDoc = { doc, loaded: persistence.ready, persistence, connection };
		this.#docs.set(docName, open);
		return open;
	}

	readonly #wentOffline = () => {
		this.browserOnline = false;
		for (const { connection } of this.#docs.values()) connection.pause();
	};

	readonly #wentOnline = () => {
		this.browserOnline = true;
		for (const { connection } of this.#docs.values()) connection.reconnect();
	};

	/** Closes every socket and stops writing to IndexedDB; waits for pending writes so a wipe after it is final. */
	async destroy(): Promise<void> {
		if (this.#destroyed) return;
		this.#destroyed = true;
		window.removeEventListener('online', this.#wentOnline);
		window.removeEventListener('offline', this.#wentOffline);
		this.#pendingQuery.unsubscribe();
		for (const { connection, persistence, doc } of this.#docs.values()) {
			connection.destroy();
			await persistence.flushed().catch(() => {});
			persistence.destroy();
			doc.destroy();
		}
		this.#docs.clear();
	}
}
