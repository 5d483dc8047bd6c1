import type * as Y from 'yjs';
import { liveQuery, type Subscription } from 'dexie';
import { ZodError } from 'zod';
import { addEmail, addPhone, removeEmail, removePhone } from '$lib/domain/contacts.ts';
import { docNames } from '$lib/domain/docName.ts';
import { listNotes, type NoteMeta } from '$lib/domain/notes.ts';
import type { ThreadSummary } from '$lib/domain/inbox.ts';
import { patientTimeline, type TimelineItem } from '$lib/domain/patientTimeline.ts';
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
	readonly timeline: TimelineItem[] = $derived(this.patient ? patientTimeline(this.patient, this.threads, this.notes) : []);
	readonly id: string;
	readonly #userId: string;
	readonly #db: FrontdeskDatabase;
	readonly #contacts: DocHandle;
	readonly #noteDocs: DocHandle[] = [];
	#threads: Subscription | null = null;
	#threadKey = '';
	#destroyed = false;

	constructor(sync: Sync, db: FrontdeskDatabase, user: { id: string; clinicId: string; role: string }, id: string) {
		this.id = id;
		this.#userId = user.id;
		this.#db = db;
		const contactsName = docNames.contacts(user.clinicId);
		// Read only once loaded: a doc half loaded from IndexedDB would show a record missing what it holds.
		this.#contacts = watchDoc(sync, contactsName, (doc) => {
			if (this.live) this.#read(doc);
		});
		void db.patientRows
			.get(id)
			.then((row) => {
				if (row && !this.live) this.#show(row.patient);
			})
			.catch(() => {});
		void this.#contacts.loaded.then(() => {
			this.live = true;
			this.#read(this.#contacts.doc);
		});
		void holdsServerPatients(db)
			.then((held) => (held ? undefined : sync.whenSynced(contactsName)))
			.then(() => (this.settled = true))
			.catch(() => {});
		this.#noteDocs.push(
			watchDoc(sync, docNames.memo(user.clinicId, id), (doc) => (this.notes = { ...this.notes, administrative: listNotes(doc) }))
		);
		// The server refuses clinical notes to anyone else: this device does not ask.
		if (user.role === 'practitioner' || user.role === 'admin')
			this.#noteDocs.push(
				watchDoc(sync, docNames.note(user.clinicId, id), (doc) => (this.notes = { ...this.notes, clinical: listNotes(doc) }))
			);
	}

	#read(doc: Y.Doc): void {
		this.#show(readPatient(doc, this.id));
	}

	#show(patient: Patient | null): void {
		if (this.#destroyed) return;
		this.patient = patient;
		const ids = patient ? recordIds(patient) : [];
		const key = ids.join(',');
		if (key === this.#threadKey) return;
		this.#threadKey = key;
		this.#threads?.unsubscribe();
		this.#threads = liveQuery(() => this.#db.threadRows.where('contactId').anyOf(ids).toArray()).subscribe({
			next: (rows) => (this.threads = rows.map((r) => r.summary)),
			error: () => (this.threads = [])
		});
	}

	#write(change: (doc: Y.Doc) => void, invalid: MessageKey): MessageKey | null {
		// The page offers no edit before (a stored copy is no base for one); this holds if one slips through.
		if (!this.live) return 'patients.error.write';
		try {
			change(this.#contacts.doc);
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
		this.#contacts.release();
		for (const handle of this.#noteDocs) handle.release();
	}
}
