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
import type { FrontdeskDatabase } from '$lib/local/index.ts';
import type { DocHandle } from '$lib/local/DocHandles.ts';
import { watchDoc } from '$lib/sync/watchDoc.ts';
import { currentTime } from '$lib/inbox/thread/time.ts';

interface Sync {
	acquire(name: string): DocHandle;
}

/**
 * One patient's page: the record as the contacts doc holds it (live: an edit on another device shows at once),
 * their threads from the device's query table, the timeline, and every edit, each written as its own change of
 * only the field the person touched. An edit the domain refuses writes nothing and says why.
 */
export class PatientRecord {
	patient = $state<Patient | null>(null);
	threads = $state<ThreadSummary[]>([]);
	/** The patient's notes of each kind (clinical ones only for those who may read them). */
	notes = $state<{ clinical: NoteMeta[]; administrative: NoteMeta[] }>({ clinical: [], administrative: [] });
	/** True once the device's copy of the contacts doc is loaded: before that, "not found" may only mean "not yet". */
	loaded = $state(false);
	readonly id: string;
	readonly #userId: string;
	readonly #db: FrontdeskDatabase;
	readonly #contacts: DocHandle;
	readonly #noteDocs: DocHandle[] = [];
	#threads: Subscription | null = null;
	#threadKey = '';

	constructor(sync: Sync, db: FrontdeskDatabase, user: { id: string; clinicId: string; role: string }, id: string) {
		this.id = id;
		this.#userId = user.id;
		this.#db = db;
		this.#contacts = watchDoc(sync, docNames.contacts(user.clinicId), (doc) => this.#read(doc));
		void this.#contacts.loaded.then(() => (this.loaded = true));
		this.#noteDocs.push(
			watchDoc(sync, docNames.memo(user.clinicId, id), (doc) => (this.notes = { ...this.notes, administrative: listNotes(doc) }))
		);
		// The server refuses clinical notes to anyone else: this device does not ask.
		if (user.role === 'practitioner' || user.role === 'admin')
			this.#noteDocs.push(
				watchDoc(sync, docNames.note(user.clinicId, id), (doc) => (this.notes = { ...this.notes, clinical: listNotes(doc) }))
			);
	}

	get timeline(): TimelineItem[] {
		return this.patient ? patientTimeline(this.patient, this.threads, this.notes) : [];
	}

	#read(doc: Y.Doc): void {
		this.patient = readPatient(doc, this.id);
		const ids = this.patient ? recordIds(this.patient) : [];
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
		this.#threads?.unsubscribe();
		this.#contacts.release();
		for (const handle of this.#noteDocs) handle.release();
	}
}
