import type * as Y from 'yjs';
import { liveQuery, type Subscription } from 'dexie';
import { ZodError } from 'zod';
import { addEmail, addPhone, removeEmail, removePhone } from '$lib/domain/contacts.ts';
import { docNames } from '$lib/domain/docName.ts';
import { listNotes, sameNotes, type NoteMeta } from '$lib/domain/notes.ts';
import type { ThreadSummary } from '$lib/domain/inbox.ts';
import { clinicProfile, DEFAULT_TIME_ZONE } from '$lib/domain/clinicSettings.ts';
import { listPractitioners, type Practitioner } from '$lib/domain/directory.ts';
import { bookingMonths, patientAppointments, type PatientAppointments } from '$lib/domain/patientAppointments.ts';
import { patientTimeline, type TimelineItem } from '$lib/domain/patientTimeline.ts';
import { scheduleDoc } from '$lib/domain/schedule.ts';
import {
	addTag,
	mergePatients,
	readPatient,
	recordConsent,
	recordIds,
	removeTag,
	updatePatient,
	type ConsentKind,
	type ConsentWay,
	type Patient,
	type PatientPatch
} from '$lib/domain/patients.ts';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';
import { holdsServerPatients, type FrontdeskDatabase } from '$lib/local/index.ts';
import type { DocHandle } from '$lib/local/DocHandles.ts';
import { watchDoc } from '$lib/sync/watchDoc.ts';
import { currentTime } from '$lib/inbox/thread/time.ts';

/** Runs `work` once the browser has drawn what is pending. */
function afterPaint(work: () => void): void {
	requestAnimationFrame(() => setTimeout(work, 0));
}

interface Sync {
	acquire(name: string): DocHandle;
	whenSynced(name: string): Promise<void>;
}

/**
 * One patient's page: the record as the contacts doc holds it (live: an edit on another device shows at once),
 * their threads from the device's query table, the timeline, and every edit, each written as its own change of
 * only the field the person touched. An edit the domain refuses writes nothing and says why. Until the contacts
 * doc is loaded (seconds with 20,000 patients) the record shows as the device's patient table stored it, read-only.
 */
export class PatientRecord {
	patient = $state<Patient | null>(null);
	threads = $state<ThreadSummary[]>([]);
	/** The patient's notes of each kind (clinical ones only for those who may read them). */
	notes = $state<{ clinical: NoteMeta[]; administrative: NoteMeta[] }>({ clinical: [], administrative: [] });
	/** The record comes from the contacts doc, loaded: edits may be made. Before, it is the table's stored copy. */
	live = $state(false);
	/** The device holds the server's patients (it synced before, or did now): a patient missing is truly missing. */
	settled = $state(false);
	/** What the page shows is final: the live record, or "not found" only when the synced data lacks the patient. */
	readonly loaded = $derived(this.live && (this.patient !== null || this.settled));
	/** Newest first (`patientTimeline`). */
	/** The patient's appointments, past and upcoming (PATIENT-APPT-1), from the months their record notes. */
	appointments = $state<PatientAppointments>({ upcoming: [], past: [] });
	/** The clinic's practitioners, to name who an appointment is with. */
	practitioners = $state<Practitioner[]>([]);
	timeZone = $state(DEFAULT_TIME_ZONE);
	readonly timeline: TimelineItem[] = $derived(
		this.patient
			? patientTimeline(this.patient, this.threads, this.notes, { list: this.appointments, timeZone: this.timeZone })
			: []
	);
	readonly id: string;
	readonly #userId: string;
	readonly #db: FrontdeskDatabase;
	#contacts: DocHandle | null = null;
	#releaseDocs: () => void;
	/** Called once the stored record's threads are on screen (then the contacts doc opens). */
	#whenThreadsShown: (() => void) | null = null;
	readonly #noteDocs: DocHandle[] = [];
	/** The month docs of the patient's appointments (at most `MAX_MONTHS`, the latest), and which months they are. */
	#monthDocs: DocHandle[] = [];
	#monthKey = '';
	readonly #sync: Sync;
	readonly #clinicId: string;
	#threads: Subscription | null = null;
	#threadKey = '';
	#destroyed = false;

	/**
	 * `holdDocs` keeps the device's big docs from opening (`DeviceInbox.holdOpening`) and returns its release: they and
	 * this page's own contacts doc load once the stored record and its threads are drawn, not while they are read.
	 */
	constructor(
		sync: Sync,
		db: FrontdeskDatabase,
		user: { id: string; clinicId: string; role: string },
		id: string,
		holdDocs: () => () => void = () => () => {}
	) {
		this.id = id;
		this.#sync = sync;
		this.#clinicId = user.clinicId;
		this.#userId = user.id;
		this.#db = db;
		this.#releaseDocs = holdDocs();
		const openContacts = () => this.#openContacts(sync, docNames.contacts(user.clinicId));
		// The threads of the record's own id are read beside the record, not after it: nearly every record has no
		// other id (merged records do), and the page is drawn once, whole, a read sooner.
		const ownThreads = this.#readThreads([id]).catch(() => null);
		void db.patientRows.get(id).then(async (row) => {
			if (!row || this.live) return openContacts();
			this.#whenThreadsShown = () => afterPaint(openContacts);
			const ids = recordIds(row.patient);
			const early = ids.length === 1 && ids[0] === id ? await ownThreads : null;
			if (this.live || this.#destroyed) return;
			this.#show(row.patient, early ?? undefined);
		}, openContacts);
		this.#noteDocs.push(
			watchDoc(sync, docNames.directory(user.clinicId), (doc) => {
				this.timeZone = clinicProfile(doc).timeZone;
				this.practitioners = listPractitioners(doc);
			})
		);
		this.#noteDocs.push(
			watchDoc(sync, docNames.memo(user.clinicId, id), (doc) => this.#showNotes('administrative', listNotes(doc)))
		);
		// The server refuses clinical notes to anyone else: this device does not ask.
		if (user.role === 'practitioner' || user.role === 'admin')
			this.#noteDocs.push(watchDoc(sync, docNames.note(user.clinicId, id), (doc) => this.#showNotes('clinical', listNotes(doc))));
	}

	/** Only a changed list is shown: typing in a note (a doc update per key) leaves the timeline as it is. */
	#showNotes(kind: 'administrative' | 'clinical', list: NoteMeta[]): void {
		if (!sameNotes(this.notes[kind], list)) this.notes = { ...this.notes, [kind]: list };
	}

	#openContacts(sync: Sync, name: string): void {
		if (this.#contacts || this.#destroyed) return;
		this.#releaseDocs();
		// Read only once loaded: a doc half loaded from IndexedDB would show a record missing what it holds.
		const contacts = (this.#contacts = watchDoc(sync, name, (doc) => {
			if (this.live) this.#read(doc);
		}));
		void contacts.loaded.then(() => {
			this.live = true;
			this.#read(contacts.doc);
		});
		void holdsServerPatients(this.#db)
			.then((held) => (held ? undefined : sync.whenSynced(name)))
			.then(() => (this.settled = true))
			.catch(() => {});
	}

	#read(doc: Y.Doc): void {
		const patient = readPatient(doc, this.id);
		this.#show(patient);
		this.#watchAppointments(patient ? bookingMonths(doc, recordIds(patient)).slice(-MAX_MONTHS) : []);
	}

	/** Holds the month docs of these months and reads the patient's appointments from them as they change. */
	#watchAppointments(months: string[]): void {
		const key = months.join(',');
		if (key === this.#monthKey || this.#destroyed) return;
		this.#monthKey = key;
		for (const handle of this.#monthDocs) handle.release();
		const read = () => {
			const ids = this.patient ? recordIds(this.patient) : [this.id];
			const docs = this.#monthDocs.map((h) => scheduleDoc(h.name, h.doc));
			this.appointments = patientAppointments(docs, ids, currentTime(), this.timeZone);
		};
		this.#monthDocs = months.map((m) => watchDoc(this.#sync, docNames.schedule(this.#clinicId, m), read));
		void Promise.all(this.#monthDocs.map((h) => h.loaded)).then(() => {
			if (this.#monthKey === key) read();
		});
	}

	/**
	 * One indexed read per record id (a single getAll each), not `anyOf`: its cursor takes a task per row, each
	 * waiting its turn on a main thread busy loading docs.
	 */
	async #readThreads(ids: string[]): Promise<ThreadSummary[]> {
		const rows = await Promise.all(ids.map((contactId) => this.#db.threadRows.where('contactId').equals(contactId).toArray()));
		return rows.flat().map((r) => r.summary);
	}

	/** `threads`: the record's threads when already read, shown with it; the live query then only follows changes. */
	#show(patient: Patient | null, threads?: ThreadSummary[]): void {
		if (this.#destroyed) return;
		this.patient = patient;
		const ids = patient ? recordIds(patient) : [];
		const key = ids.join(',');
		if (key === this.#threadKey) return;
		this.#threadKey = key;
		this.#threads?.unsubscribe();
		let shown = threads ? JSON.stringify(threads) : null;
		if (threads) {
			this.threads = threads;
			this.#threadsShown();
		}
		this.#threads = liveQuery(() => this.#readThreads(ids)).subscribe({
			next: (summaries) => {
				// The live query's first answer repeats what was read beside the record: the timeline is not drawn twice.
				const same = JSON.stringify(summaries);
				if (same === shown) return;
				shown = same;
				this.threads = summaries;
				this.#threadsShown();
			},
			error: () => {
				this.threads = [];
				this.#threadsShown();
			}
		});
	}

	#threadsShown(): void {
		const then = this.#whenThreadsShown;
		this.#whenThreadsShown = null;
		then?.();
	}

	#write(change: (doc: Y.Doc) => void, invalid: MessageKey): MessageKey | null {
		// The page offers no edit before (a stored copy is no base for one); this holds if one slips through.
		if (!this.live) return 'patients.error.write';
		try {
			change(this.#contacts!.doc);
			return null;
		} catch (error) {
			if (error instanceof ZodError) return invalid;
			if (error instanceof Error && /too many/.test(error.message)) return 'patients.error.tooMany';
			return 'patients.error.write';
		}
	}

	update(patch: PatientPatch, invalid: MessageKey): MessageKey | null {
		return this.#write((doc) => updatePatient(doc, this.id, patch), invalid);
	}

	addPhone(raw: string): MessageKey | null {
		return this.#write((doc) => addPhone(doc, this.id, raw), 'patients.error.phone');
	}

	removePhone(e164: string): MessageKey | null {
		return this.#write((doc) => removePhone(doc, this.id, e164), 'patients.error.write');
	}

	addEmail(value: string): MessageKey | null {
		return this.#write((doc) => addEmail(doc, this.id, value), 'patients.error.email');
	}

	removeEmail(value: string): MessageKey | null {
		return this.#write((doc) => removeEmail(doc, this.id, value), 'patients.error.write');
	}

	addTag(tag: string): MessageKey | null {
		return this.#write((doc) => addTag(doc, this.id, tag), 'patients.error.tag');
	}

	removeTag(tag: string): MessageKey | null {
		return this.#write((doc) => removeTag(doc, this.id, tag), 'patients.error.write');
	}

	recordConsent(kind: ConsentKind, given: boolean, how: ConsentWay): MessageKey | null {
		return this.#write(
			(doc) => recordConsent(doc, this.id, { kind, given, how, at: currentTime().toISOString(), by: this.#userId }),
			'patients.error.write'
		);
	}

	/** Folds the other record into this one (its threads, numbers, tags and consents follow). */
	mergeIn(goneId: string): MessageKey | null {
		return this.#write(
			(doc) => mergePatients(doc, this.id, goneId, { at: currentTime(), userId: this.#userId }),
			'patients.error.write'
		);
	}

	destroy(): void {
		this.#destroyed = true;
		this.#threads?.unsubscribe();
		this.#releaseDocs();
		this.#contacts?.release();
		for (const handle of this.#noteDocs) handle.release();
		for (const handle of this.#monthDocs) handle.release();
	}
}

/** The most months of appointments a patient's page opens: two years of visits. */
const MAX_MONTHS = 24;
