import type * as Y from 'yjs';
import { contactLabel, readContact } from '$lib/domain/contacts.ts';
import { docNames } from '$lib/domain/docName.ts';
import { listThreadSummaries, observeThreads, readThreadSummary, type ThreadSummary } from '$lib/domain/inbox.ts';
import { InboxIndex, PatientIndex, type FrontdeskDatabase } from '$lib/local/index.ts';
import type { DocHandle } from '$lib/local/DocHandles.ts';
import { Colleagues } from './colleagues.svelte.ts';
import { RecentThreads } from './recentThreads.ts';
import { UnreadTally } from './unreadTally.ts';

/** A new message or a mention, shown briefly on every device of the clinic. */
export interface InboxAlert {
	id: number;
	kind: 'message' | 'mention';
	threadId: string;
	/** Who the conversation is with (named through `contactLabel`: the contact may reach the device just after). */
	contactId: string;
}

/** Runs `work` once the browser has drawn what is pending and has a moment. */
function afterPaint(work: () => void): void {
	if (typeof requestIdleCallback === 'function') requestAnimationFrame(() => requestIdleCallback(work, { timeout: 1500 }));
	else setTimeout(work, 0);
}

/** How long an alert stays on screen. */
const ALERT_MS = 8000;
const MAX_ALERTS = 3;
/** Quiet time after the last inbox change before the recent threads are fetched. */
const REFRESH_AFTER_MS = 2000;

/**
 * The inbox as the whole signed-in app sees it: keeps the inbox and contacts docs and the query table in step,
 * counts what the user has not read (for the title and the menu), and raises an alert for each new message or
 * mention — except in the thread the user is looking at.
 */
export class DeviceInbox {
	unread = $state(0);
	alerts = $state<InboxAlert[]>([]);
	/** True once the inbox and contacts docs were opened (after the first screen): screens that need them wait for it. */
	opened = $state(false);
	/** True once the query table was rebuilt from the docs at start. */
	indexed = $state(false);
	/**
	 * True once the patients' query table is current and holds the server's patients (a fresh device: after its first
	 * sync). Kept here: it comes from the same contacts doc.
	 */
	patientsIndexed = $state(false);
	readonly colleagues: Colleagues;
	readonly db: FrontdeskDatabase;
	#index: InboxIndex | null = null;
	#patients: PatientIndex | null = null;
	/** The thread on screen (set from the URL): its messages need no alert. */
	viewing: string | null = null;
	#inbox: DocHandle | null = null;
	#contacts: DocHandle | null = null;
	readonly #tally: UnreadTally;
	#stopObserving: () => void = () => {};
	#nextAlert = 1;
	#timers: ReturnType<typeof setTimeout>[] = [];
	#destroyed = false;
	readonly #recent: RecentThreads;
	#refreshTimer: ReturnType<typeof setTimeout> | undefined;

	/** Bumped on every change of the contacts doc, so names shown from it follow. */
	#contactsVersion = $state(0);
	/**
	 * Messages the device first learns by catching up with the server at start are counted, not announced: a
	 * fresh device would otherwise announce the clinic's whole history.
	 */
	#caughtUp = false;
	readonly #stopWatchingSync: () => void;

	constructor(
		db: FrontdeskDatabase,
		sync: {
			acquire(name: string): DocHandle;
			docState(name: string): string | undefined;
			whenSynced(name: string): Promise<void>;
		},
		user: { id: string; clinicId: string }
	) {
		this.db = db;
		this.#tally = new UnreadTally(user.id);
		const inboxName = docNames.inbox(user.clinicId);
		this.#stopWatchingSync = $effect.root(() => {
			$effect(() => {
				if (sync.docState(inboxName) === 'synced') this.#caughtUp = true;
			});
		});
		this.#recent = new RecentThreads(db, sync, user.clinicId, (id, texts) => this.indexMessages(id, texts));
		this.colleagues = new Colleagues(user.clinicId);
		void this.colleagues.refresh();
		// The list's first screen comes from the query table; loading the two big docs (and catching up the table)
		// waits until the page is drawn — and, on the inbox, until the list has shown its first rows — so a cold
		// start is not held up by them.
		this.#open = () => {
			if (this.#destroyed || this.#inbox || this.#holds > 0) return;
			const inbox = (this.#inbox = sync.acquire(inboxName));
			const contacts = (this.#contacts = sync.acquire(docNames.contacts(user.clinicId)));
			contacts.doc.on('update', this.#contactsChanged);
			this.#index = new InboxIndex(db, inbox.doc, contacts.doc);
			this.#patients = new PatientIndex(db, contacts.doc);
			this.#contactsSynced = sync.whenSynced(contacts.name);
			this.opened = true;
			void Promise.all([inbox.loaded, contacts.loaded]).then(() => this.#start());
		};
		afterPaint(this.#open);
	}

	readonly #open: () => void;
	#holds = 0;
	/** The contacts doc's first sync with the server (pending while offline). */
	#contactsSynced: Promise<void> = new Promise(() => {});

	/**
	 * Keeps the big docs closed until the returned function is called (the thread list calls it once its first rows
	 * are on screen): their loading takes the main thread in turns, and the first screen should not wait for them.
	 */
	holdOpening(): () => void {
		this.#holds++;
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.#holds--;
			afterPaint(this.#open);
		};
	}

	/** Adds the words of a thread's messages to the search (the thread view calls it with what it shows). */
	indexMessages(threadId: string, texts: readonly string[]): Promise<void> {
		return this.#index?.indexMessages(threadId, texts) ?? Promise.resolve();
	}

	dismiss(id: number): void {
		this.alerts = this.alerts.filter((a) => a.id !== id);
	}

	/** The contacts doc, once opened (the patient screens read and write patients through it). */
	get contactsDoc(): Y.Doc | null {
		void this.#contactsVersion;
		return this.#contacts?.doc ?? null;
	}

	/** What to call the contact of an alert; follows the contacts doc. */
	contactLabel(contactId: string): string {
		void this.#contactsVersion;
		const contact = this.#contacts ? readContact(this.#contacts.doc, contactId) : null;
		return contact ? contactLabel(contact) : '';
	}

	readonly #contactsChanged = () => {
		this.#contactsVersion++;
	};

	destroy(): void {
		this.#destroyed = true;
		this.#stopWatchingSync();
		this.#contacts?.doc.off('update', this.#contactsChanged);
		this.#stopObserving();
		this.#index?.stop();
		this.#patients?.stop();
		this.#recent.stop();
		clearTimeout(this.#refreshTimer);
		if (typeof window !== 'undefined') window.removeEventListener('online', this.#wentOnline);
		for (const timer of this.#timers.splice(0)) clearTimeout(timer);
		this.#inbox?.release();
		this.#contacts?.release();
	}

	async #start(): Promise<void> {
		const inbox = this.#inbox;
		if (this.#destroyed || !inbox) return;
		// What is there at start is not news: counted, never announced.
		for (const s of listThreadSummaries(inbox.doc)) this.#tally.update(s.id, s);
		this.unread = this.#tally.total;
		this.#stopObserving = observeThreads(inbox.doc, (ids) => this.#changed(ids));
		const patients = this.#patients;
		if (patients)
			void patients
				.start()
				.then(() => patients.synced(this.#contactsSynced))
				.then(() => (this.patientsIndexed = true));
		await this.#index?.start();
		if (this.#destroyed) return;
		this.indexed = true;
		void this.#recent.refresh();
		window.addEventListener('online', this.#wentOnline);
	}

	readonly #wentOnline = () => void this.#recent.refresh();

	/** New activity: the recent threads are brought up to date once it settles (a burst of messages is one run). */
	#refreshSoon(): void {
		clearTimeout(this.#refreshTimer);
		this.#refreshTimer = setTimeout(() => void this.#recent.refresh(), REFRESH_AFTER_MS);
	}

	#changed(ids: string[]): void {
		this.#refreshSoon();
		for (const id of ids) {
			const summary = this.#inbox ? readThreadSummary(this.#inbox.doc, id) : null;
			const news = this.#tally.update(id, summary);
			if (news && summary && id !== this.viewing && this.#caughtUp) this.#alert(news, summary);
		}
		this.unread = this.#tally.total;
	}

	#alert(kind: InboxAlert['kind'], summary: ThreadSummary): void {
		const alert: InboxAlert = { id: this.#nextAlert++, kind, threadId: summary.id, contactId: summary.contactId };
		this.alerts = [...this.alerts.filter((a) => a.threadId !== summary.id), alert].slice(-MAX_ALERTS);
		const timer = setTimeout(() => {
			this.#timers = this.#timers.filter((t) => t !== timer);
			this.dismiss(alert.id);
		}, ALERT_MS);
		this.#timers.push(timer);
	}
}
