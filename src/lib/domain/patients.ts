import * as Y from 'yjs';
import { z } from 'zod';
import {
	contactEntry,
	contactEntryOrNone,
	createContact,
	listContacts,
	mergeContacts,
	readContact,
	updateContact,
	type Contact,
	type ContactInput
} from './contacts.ts';
import { docId } from './fields.ts';
import { newId } from './ids.ts';

/**
 * A patient is a contact with a record: birth date, preferred language, where they came from, tags, and the
 * history of their consents. It lives on the contact's own entry in `<clinic>/contacts`, so the inbox's contact and
 * the patient are one person that merges and is erased as one. Every field is its own key (or list), so two
 * people editing different fields at once both keep theirs; consents are an append-only list of what was given or
 * withdrawn, when, how and by whom, so two devices recording consent offline both land and the latest one wins.
 */

export const CONSENT_KINDS = ['reminders', 'marketing', 'dataProcessing'] as const;
export type ConsentKind = (typeof CONSENT_KINDS)[number];

/** How a consent was given or withdrawn. */
export const CONSENT_WAYS = ['desk', 'phone', 'whatsapp', 'instagram', 'web', 'paper'] as const;
export type ConsentWay = (typeof CONSENT_WAYS)[number];

/** Where a patient first came from. */
export const PATIENT_SOURCES = ['desk', 'phone', 'whatsapp', 'instagram', 'web', 'referral', 'other'] as const;
export type PatientSource = (typeof PATIENT_SOURCES)[number];

/** Languages a patient may prefer: the app's two, and other common ones a clinic in Türkiye meets. */
export const PATIENT_LANGUAGES = ['tr', 'en', 'de', 'ar', 'ru', 'fr', 'other'] as const;
export type PatientLanguage = (typeof PATIENT_LANGUAGES)[number];

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;
/** Far more than a person's consent changes in a lifetime; bounds what one device can pile up. */
export const MAX_CONSENT_EVENTS = 200;

export interface ConsentEvent {
	id: string;
	kind: ConsentKind;
	given: boolean;
	/** ISO time. */
	at: string;
	how: ConsentWay;
	/** The staff member who recorded it (a user id), or null when the patient did it (a web form). */
	by: string | null;
}

/** Another record folded into this one (`mergePatients`), shown in the timeline. */
export interface MergeRecord {
	goneId: string;
	at: string;
	by: string | null;
}

export interface Patient extends Contact {
	/** `yyyy-mm-dd`, or null. */
	dateOfBirth: string | null;
	language: PatientLanguage | null;
	source: PatientSource | null;
	tags: string[];
	/** Oldest first. */
	consents: ConsentEvent[];
	merges: MergeRecord[];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date that exists, not in the future, not before 1900. */
export const birthDate = z.string().refine((v) => {
	const m = DATE.exec(v);
	if (!m) return false;
	const [, y, mo, d] = m.map(Number);
	const date = new Date(Date.UTC(y, mo - 1, d));
	return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && y >= 1900 && date.getTime() <= Date.now();
}, 'must be a date like 1985-04-23, not in the future');

export const patientTag = z.string().trim().min(1).max(MAX_TAG_LENGTH);
const isoTime = z.iso.datetime({ offset: true });

const consentEvent = z.object({
	id: docId,
	kind: z.enum(CONSENT_KINDS),
	given: z.boolean(),
	at: isoTime,
	how: z.enum(CONSENT_WAYS),
	by: docId.nullable()
});
const mergeRecord = z.object({ goneId: docId, at: isoTime, by: docId.nullable() });

/**
 * Tags, consent changes and merges are each a key of their own on the contact's entry (`tag:<id>`,
 * `consent:<id>`, `merge:<id>`), never a list created on first use: two devices that both created the list offline
 * would each set a new one under the same key, and one list, with what it held, would lose. Keys are random ids
 * (personal data stays in values); two devices adding the same tag make two keys that read as one.
 */
const TAG = 'tag:';
const CONSENT = 'consent:';
const MERGE = 'merge:';

function valuesOf<T>(entry: Y.Map<unknown>, prefix: string, schema: z.ZodType<T>): { key: string; value: T }[] {
	const out: { key: string; value: T }[] = [];
	for (const [key, value] of entry.entries()) {
		if (!key.startsWith(prefix)) continue;
		const parsed = schema.safeParse(value);
		if (parsed.success) out.push({ key, value: parsed.data });
	}
	return out;
}

function readTags(entry: Y.Map<unknown>): string[] {
	// In the order people read them (the keys are random): alphabetical, the Turkish way.
	const tags = [...new Set(valuesOf(entry, TAG, patientTag).map((t) => t.value))];
	return tags.sort((x, y) => x.localeCompare(y, 'tr')).slice(0, MAX_TAGS);
}

const count = (entry: Y.Map<unknown>, prefix: string) => [...entry.keys()].filter((k) => k.startsWith(prefix)).length;

const byTime = (a: { at: string; id?: string }, b: { at: string; id?: string }) =>
	a.at.localeCompare(b.at) || (a.id ?? '').localeCompare(b.id ?? '');

function patientOf(contact: Contact, entry: Y.Map<unknown>): Patient {
	const field = <T>(key: string, schema: z.ZodType<T>): T | null => schema.safeParse(entry.get(key)).data ?? null;
	return {
		...contact,
		dateOfBirth: field('dateOfBirth', birthDate),
		language: field('language', z.enum(PATIENT_LANGUAGES)),
		source: field('source', z.enum(PATIENT_SOURCES)),
		tags: readTags(entry),
		consents: valuesOf(entry, CONSENT, consentEvent)
			.map((c) => c.value)
			.sort(byTime)
			.slice(-MAX_CONSENT_EVENTS),
		merges: valuesOf(entry, MERGE, mergeRecord)
			.map((m) => m.value)
			.sort(byTime)
	};
}

export function readPatient(doc: Y.Doc, id: string): Patient | null {
	const contact = readContact(doc, id);
	const entry = contactEntryOrNone(doc, id);
	return contact && entry instanceof Y.Map ? patientOf(contact, entry) : null;
}

/** Every patient that was not merged away, oldest first. */
export function listPatients(doc: Y.Doc): Patient[] {
	return listContacts(doc).map((c) => patientOf(c, contactEntry(doc, c.id)));
}

export const patientInput = z.object({
	dateOfBirth: birthDate.nullable().optional(),
	language: z.enum(PATIENT_LANGUAGES).nullable().optional(),
	source: z.enum(PATIENT_SOURCES).nullable().optional(),
	tags: z.array(patientTag).max(MAX_TAGS).optional()
});
export type PatientInput = ContactInput & z.input<typeof patientInput>;

/** Creates a patient (a contact with its record) and returns the id. */
export function createPatient(doc: Y.Doc, input: PatientInput, now: Date = new Date()): string {
	const { dateOfBirth, language, source, tags, ...contact } = input;
	const record = patientInput.parse({ dateOfBirth, language, source, tags });
	let id = '';
	doc.transact(() => {
		id = createContact(doc, contact, now);
		const entry = contactEntry(doc, id);
		if (record.dateOfBirth) entry.set('dateOfBirth', record.dateOfBirth);
		if (record.language) entry.set('language', record.language);
		if (record.source) entry.set('source', record.source);
		for (const tag of new Set(record.tags ?? [])) entry.set(TAG + newId(), tag);
	});
	return id;
}

export const patientPatch = z.object({
	name: z.string().optional(),
	dateOfBirth: birthDate.nullable().optional(),
	language: z.enum(PATIENT_LANGUAGES).nullable().optional(),
	source: z.enum(PATIENT_SOURCES).nullable().optional()
});
export type PatientPatch = z.input<typeof patientPatch>;

/**
 * Writes the fields given, and only those that differ from what the doc holds: a field another person changed
 * meanwhile is left as they wrote it. `null` clears a field.
 */
export function updatePatient(doc: Y.Doc, id: string, patch: PatientPatch): void {
	const parsed = patientPatch.parse(patch);
	const entry = contactEntry(doc, id);
	doc.transact(() => {
		if (parsed.name !== undefined) updateContact(doc, id, { name: parsed.name });
		for (const key of ['dateOfBirth', 'language', 'source'] as const) {
			const value = parsed[key];
			if (value === undefined || value === (entry.get(key) ?? null)) continue;
			if (value === null) entry.delete(key);
			else entry.set(key, value);
		}
	});
}

export function addTag(doc: Y.Doc, id: string, tag: string): void {
	const value = patientTag.parse(tag);
	const entry = contactEntry(doc, id);
	const tags = readTags(entry);
	if (tags.includes(value)) return;
	if (tags.length >= MAX_TAGS) throw new Error('too many tags on one patient');
	entry.set(TAG + newId(), value);
}

/** Removes the tag: every key that holds it (two devices may have added it at once). */
export function removeTag(doc: Y.Doc, id: string, tag: string): void {
	const entry = contactEntry(doc, id);
	doc.transact(() => {
		for (const { key } of valuesOf(entry, TAG, patientTag).filter((t) => t.value === tag)) entry.delete(key);
	});
}

export const consentInput = consentEvent.omit({ id: true });
export type ConsentInput = z.input<typeof consentInput>;

/** Records that a consent was given or withdrawn; the history keeps every change. */
export function recordConsent(doc: Y.Doc, id: string, input: ConsentInput): string {
	const parsed = consentInput.parse(input);
	const entry = contactEntry(doc, id);
	if (count(entry, CONSENT) >= MAX_CONSENT_EVENTS) throw new Error('too many consent changes on one patient');
	const event: ConsentEvent = { id: newId(), ...parsed };
	entry.set(CONSENT + event.id, event);
	return event.id;
}

/** Each consent as it stands: the latest change, or none yet (never asked). */
export function consentStatus(patient: Pick<Patient, 'consents'>): Record<ConsentKind, ConsentEvent | null> {
	const status: Record<ConsentKind, ConsentEvent | null> = { reminders: null, marketing: null, dataProcessing: null };
	for (const event of patient.consents) status[event.kind] = event;
	return status;
}

/**
 * Merges `goneId` into `keepId`: the contact merge (numbers, emails, identities, a missing name), then the record:
 * a birth date, language or source the kept one lacks, every tag, every consent change (the history is the union,
 * so the latest change of either stands). The merged record stays, pointing at the kept one, so nothing it held
 * is lost; the kept one records the merge for its timeline. Threads follow through the contact (`resolveContact`).
 */
export function mergePatients(doc: Y.Doc, keepId: string, goneId: string, by: { at: Date; userId: string | null }): void {
	const gone = readPatient(doc, goneId);
	const keep = readPatient(doc, keepId);
	if (!gone || !keep) throw new Error('no such patient');
	doc.transact(() => {
		mergeContacts(doc, keepId, goneId);
		const entry = contactEntry(doc, keepId);
		for (const key of ['dateOfBirth', 'language', 'source'] as const) {
			if (keep[key] === null && gone[key] !== null) entry.set(key, gone[key]);
		}
		for (const tag of gone.tags) if (!keep.tags.includes(tag)) entry.set(TAG + newId(), tag);
		// Every consent change and every earlier merge comes along under its own id: the union is the history.
		const room = Math.max(0, MAX_CONSENT_EVENTS - count(entry, CONSENT));
		for (const event of room > 0 ? gone.consents.slice(-room) : []) entry.set(CONSENT + event.id, event);
		for (const merge of gone.merges) entry.set(MERGE + merge.goneId, merge);
		entry.set(MERGE + goneId, { goneId, at: by.at.toISOString(), by: by.userId });
	});
}

/** The ids a patient's threads may carry: its own and every record merged into it. */
export function recordIds(patient: Pick<Patient, 'id' | 'merges'>): string[] {
	return [patient.id, ...patient.merges.map((m) => m.goneId)];
}
