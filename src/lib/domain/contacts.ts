import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import * as Y from 'yjs';
import { z } from 'zod';
import { docId } from './fields.ts';
import { newId } from './ids.ts';
import { observeEntryChanges } from './entryChanges.ts';

/**
 * The `<clinic>/contacts` doc: the people behind the threads (and, later, the patients). Each contact is a Y.Map
 * under its id; its phone numbers, emails and channel identities are Y.Arrays so two devices adding a number at
 * once both keep theirs. Personal data is only ever a value, never a map key: Yjs keeps keys after deletion, so a
 * number used as a key would survive its erasure. These functions are the only code that touches the doc.
 */

/** Where a conversation comes from. */
export const CHANNEL_KINDS = ['whatsapp', 'instagram', 'phone', 'web'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
export const channelKind = z.enum(CHANNEL_KINDS);

/** A person's address on a messaging channel: WhatsApp's wa_id, Instagram's scoped id. */
export interface ChannelIdentity {
	channel: 'whatsapp' | 'instagram';
	id: string;
}

export interface Contact {
	id: string;
	name: string;
	/** E.164, e.g. `+905321234567`. */
	phones: string[];
	emails: string[];
	identities: ChannelIdentity[];
	/** ISO time. */
	createdAt: string;
	/** Set when the contact was merged into another one; it keeps its data so nothing is lost. */
	mergedInto?: string;
}

export const MAX_NAME_LENGTH = 200;
/** More than any person has; bounds what one device can pile onto a contact. */
export const MAX_VALUES_PER_LIST = 20;

const name = z.string().trim().max(MAX_NAME_LENGTH);
const email = z.string().trim().toLowerCase().max(254).pipe(z.email());
const identity = z.object({
	channel: z.enum(['whatsapp', 'instagram']),
	id: z
		.string()
		.trim()
		.min(1)
		.max(64)
		.regex(/^[A-Za-z0-9._:-]+$/)
});

const CONTACTS = 'contacts';
const PHONES = 'phones';
const EMAILS = 'emails';
const IDENTITIES = 'identities';

/**
 * A phone number in E.164, or null when it is not a valid number. Numbers are read as people write them in the
 * clinic's country (`0532 123 45 67`, `(0532) 123-45-67`), with a `+` or `00` prefix, or as the bare
 * international digits WhatsApp sends (`905321234567`).
 */
export function normalizePhone(raw: string, region: CountryCode = 'TR'): string | null {
	const text = raw.trim();
	if (text.length === 0 || text.length > 40) return null;
	const asWritten = parsePhoneNumberFromString(text, region);
	if (asWritten?.isValid()) return asWritten.number;
	const digits = text.replace(/[^\d]/g, '');
	if (!/^\+/.test(text) && digits.length >= 8) {
		const international = parsePhoneNumberFromString('+' + digits.replace(/^00/, ''));
		if (international?.isValid()) return international.number;
	}
	return null;
}

/** A stored number as people read it (`+90 532 123 45 67`); the E.164 text when it cannot be parsed. */
export function formatPhone(e164: string): string {
	return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

function contactsMap(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
	return doc.getMap(CONTACTS);
}

function arrayField<T>(entry: Y.Map<unknown>, field: string): Y.Array<T> {
	const value = entry.get(field);
	if (value instanceof Y.Array) return value as Y.Array<T>;
	const created = new Y.Array<T>();
	entry.set(field, created);
	return created;
}

function readStrings(value: unknown, check: (v: string) => boolean): string[] {
	if (!(value instanceof Y.Array)) return [];
	const out: string[] = [];
	for (const v of value.toArray()) if (typeof v === 'string' && check(v) && !out.includes(v)) out.push(v);
	return out.slice(0, MAX_VALUES_PER_LIST);
}

const isE164 = (v: string) => /^\+[1-9]\d{6,14}$/.test(v);
const isEmail = (v: string) => email.safeParse(v).success;

function readIdentities(value: unknown): ChannelIdentity[] {
	if (!(value instanceof Y.Array)) return [];
	const out: ChannelIdentity[] = [];
	for (const v of value.toArray()) {
		const parsed = identity.safeParse(v);
		if (parsed.success && !out.some((i) => sameIdentity(i, parsed.data))) out.push(parsed.data);
	}
	return out.slice(0, MAX_VALUES_PER_LIST);
}

const sameIdentity = (a: ChannelIdentity, b: ChannelIdentity) => a.channel === b.channel && a.id === b.id;

function readFrom(id: string, entry: unknown): Contact | null {
	if (!(entry instanceof Y.Map) || !docId.safeParse(id).success) return null;
	const createdAt = entry.get('createdAt');
	const merged = entry.get('mergedInto');
	const contact: Contact = {
		id,
		name: name.catch('').parse(entry.get('name') ?? ''),
		phones: readStrings(entry.get(PHONES), isE164),
		emails: readStrings(entry.get(EMAILS), isEmail),
		identities: readIdentities(entry.get(IDENTITIES)),
		createdAt: typeof createdAt === 'string' ? createdAt : new Date(0).toISOString()
	};
	if (typeof merged === 'string' && docId.safeParse(merged).success && merged !== id) contact.mergedInto = merged;
	return contact;
}

export function readContact(doc: Y.Doc, id: string): Contact | null {
	return readFrom(id, contactsMap(doc).get(id));
}

/** The contact as it is now: a merged one leads to the one it was merged into (chains followed, cycles cut). */
export function resolveContact(doc: Y.Doc, id: string): Contact | null {
	const seen = new Set<string>();
	let contact = readContact(doc, id);
	while (contact?.mergedInto && !seen.has(contact.id)) {
		seen.add(contact.id);
		const next = readContact(doc, contact.mergedInto);
		if (!next) break;
		contact = next;
	}
	return contact;
}

/** Every contact that was not merged away, oldest first. */
export function listContacts(doc: Y.Doc): Contact[] {
	const out: Contact[] = [];
	for (const [id, entry] of contactsMap(doc).entries()) {
		const contact = readFrom(id, entry);
		if (contact && !contact.mergedInto) out.push(contact);
	}
	return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

export interface ContactQuery {
	phone?: string;
	email?: string;
	identity?: ChannelIdentity;
}

/** The contact a number (in any spelling), an email or a channel identity belongs to; merged ones resolve. */
export function findContact(doc: Y.Doc, query: ContactQuery): Contact | null {
	const phone = query.phone === undefined ? null : normalizePhone(query.phone);
	const mail = query.email === undefined ? null : (email.safeParse(query.email).data ?? null);
	const ident = query.identity ? (identity.safeParse(query.identity).data ?? null) : null;
	if (!phone && !mail && !ident) return null;
	// Identity first: it names exactly one conversation partner, where a number may be shared by a family.
	const matchers: ((c: Contact) => boolean)[] = [];
	if (ident) matchers.push((c) => c.identities.some((i) => sameIdentity(i, ident)));
	if (phone) matchers.push((c) => c.phones.includes(phone));
	if (mail) matchers.push((c) => c.emails.includes(mail));
	const all = [...contactsMap(doc).entries()].map(([id, entry]) => readFrom(id, entry)).filter((c) => c !== null);
	for (const matches of matchers) {
		const found = all.find((c) => !c.mergedInto && matches(c)) ?? all.find(matches);
		if (found) return resolveContact(doc, found.id);
	}
	return null;
}

export const contactInput = z.object({
	name: name.optional(),
	phones: z.array(z.string()).max(MAX_VALUES_PER_LIST).optional(),
	emails: z.array(email).max(MAX_VALUES_PER_LIST).optional(),
	identities: z.array(identity).max(MAX_VALUES_PER_LIST).optional()
});
export type ContactInput = z.input<typeof contactInput>;

function phonesOf(raw: readonly string[]): string[] {
	return raw.map((p) => {
		const e164 = normalizePhone(p);
		if (!e164) throw new z.ZodError([{ code: 'custom', path: ['phones'], message: 'not a valid phone number', input: p }]);
		return e164;
	});
}

/** Creates a contact and returns its id; phone numbers are stored in E.164 (an invalid one is refused). */
export function createContact(doc: Y.Doc, input: ContactInput, now: Date = new Date()): string {
	const parsed = contactInput.parse(input);
	const phones = phonesOf(parsed.phones ?? []);
	const id = newId();
	doc.transact(() => {
		const entry = new Y.Map<unknown>();
		contactsMap(doc).set(id, entry);
		entry.set('name', parsed.name ?? '');
		entry.set('createdAt', now.toISOString());
		entry.set(PHONES, Y.Array.from([...new Set(phones)]));
		entry.set(EMAILS, Y.Array.from([...new Set(parsed.emails ?? [])]));
		entry.set(IDENTITIES, Y.Array.from(parsed.identities ?? []));
	});
	return id;
}

function entryOf(doc: Y.Doc, id: string): Y.Map<unknown> {
	const entry = contactsMap(doc).get(id);
	if (!(entry instanceof Y.Map)) throw new Error(`no contact ${id}`);
	return entry;
}

/**
 * A contact's own Y.Map, for `patients.ts` only: the patient's fields (birth date, consents, tags) live on the
 * same entry, so a contact and its patient record are one thing that merges and erases as one.
 */
export function contactEntry(doc: Y.Doc, id: string): Y.Map<unknown> {
	return entryOf(doc, id);
}

/** The raw entry of a contact, or undefined (for readers in `patients.ts`). */
export function contactEntryOrNone(doc: Y.Doc, id: string): unknown {
	return contactsMap(doc).get(id);
}

function addValue<T>(list: Y.Array<T>, value: T, same: (a: T, b: T) => boolean): void {
	if (list.toArray().some((v) => same(v, value))) return;
	if (list.length >= MAX_VALUES_PER_LIST) throw new Error('too many values on one contact');
	list.push([value]);
}

function removeValue<T>(list: Y.Array<T>, matches: (v: T) => boolean): void {
	for (let i = list.length - 1; i >= 0; i--) if (matches(list.get(i))) list.delete(i, 1);
}

export function updateContact(doc: Y.Doc, id: string, patch: { name?: string }): void {
	const parsed = z.object({ name: name.optional() }).parse(patch);
	const entry = entryOf(doc, id);
	if (parsed.name !== undefined && parsed.name !== entry.get('name')) entry.set('name', parsed.name);
}

export function addPhone(doc: Y.Doc, id: string, raw: string): string {
	const [e164] = phonesOf([raw]);
	addValue(arrayField<string>(entryOf(doc, id), PHONES), e164, (a, b) => a === b);
	return e164;
}

export function removePhone(doc: Y.Doc, id: string, raw: string): void {
	const e164 = normalizePhone(raw) ?? raw;
	removeValue(arrayField<string>(entryOf(doc, id), PHONES), (v) => v === e164);
}

export function addEmail(doc: Y.Doc, id: string, value: string): void {
	const mail = email.parse(value);
	addValue(arrayField<string>(entryOf(doc, id), EMAILS), mail, (a, b) => a === b);
}

export function removeEmail(doc: Y.Doc, id: string, value: string): void {
	const mail = value.trim().toLowerCase();
	removeValue(arrayField<string>(entryOf(doc, id), EMAILS), (v) => v === mail);
}

export function addIdentity(doc: Y.Doc, id: string, value: ChannelIdentity): void {
	const parsed = identity.parse(value);
	addValue(arrayField<ChannelIdentity>(entryOf(doc, id), IDENTITIES), parsed, sameIdentity);
}

/**
 * The contact an incoming event belongs to: found by identity, number or email, or created. What the event says
 * and the contact lacks (a new number, the identity, a name where there was none) is added.
 */
export function findOrCreateContact(
	doc: Y.Doc,
	query: ContactQuery & { name?: string },
	now: Date = new Date()
): { contact: Contact; created: boolean } {
	const found = findContact(doc, query);
	const phone = query.phone === undefined ? null : normalizePhone(query.phone);
	if (!found) {
		const id = createContact(
			doc,
			{
				name: query.name?.trim().slice(0, MAX_NAME_LENGTH),
				phones: phone ? [phone] : [],
				emails: query.email && isEmail(query.email.trim().toLowerCase()) ? [query.email] : [],
				identities: query.identity ? [query.identity] : []
			},
			now
		);
		return { contact: readContact(doc, id)!, created: true };
	}
	doc.transact(() => {
		if (phone && !found.phones.includes(phone) && found.phones.length < MAX_VALUES_PER_LIST) addPhone(doc, found.id, phone);
		if (query.identity && !found.identities.some((i) => sameIdentity(i, query.identity!))) {
			if (found.identities.length < MAX_VALUES_PER_LIST) addIdentity(doc, found.id, query.identity);
		}
		const mail = query.email?.trim().toLowerCase();
		if (mail && isEmail(mail) && !found.emails.includes(mail) && found.emails.length < MAX_VALUES_PER_LIST) {
			addEmail(doc, found.id, mail);
		}
		const given = query.name?.trim().slice(0, MAX_NAME_LENGTH);
		if (given && !found.name) updateContact(doc, found.id, { name: given });
	});
	return { contact: readContact(doc, found.id)!, created: false };
}

/**
 * Merges `goneId` into `keepId`: its numbers, emails and identities join the kept contact, a name fills an empty
 * one, and the merged contact stays (pointing at the kept one) so nothing it held is lost.
 */
export function mergeContacts(doc: Y.Doc, keepId: string, goneId: string): void {
	if (keepId === goneId) throw new Error('a contact cannot be merged into itself');
	const keep = readContact(doc, keepId);
	const gone = readContact(doc, goneId);
	if (!keep || !gone) throw new Error('no such contact');
	if (keep.mergedInto) throw new Error('the contact to keep was itself merged');
	doc.transact(() => {
		const entry = entryOf(doc, keepId);
		const phones = arrayField<string>(entry, PHONES);
		const emails = arrayField<string>(entry, EMAILS);
		const identities = arrayField<ChannelIdentity>(entry, IDENTITIES);
		const room = (list: { length: number }) => list.length < MAX_VALUES_PER_LIST;
		for (const p of gone.phones) if (!keep.phones.includes(p) && room(phones)) phones.push([p]);
		for (const m of gone.emails) if (!keep.emails.includes(m) && room(emails)) emails.push([m]);
		for (const i of gone.identities) {
			if (!keep.identities.some((k) => sameIdentity(k, i)) && room(identities)) identities.push([i]);
		}
		if (!keep.name && gone.name) entry.set('name', gone.name);
		entryOf(doc, goneId).set('mergedInto', keepId);
	});
}

/** What to call a contact on screen: the name, else a number, else an email. */
export function contactLabel(contact: Contact): string {
	return contact.name || contact.phones[0] || contact.emails[0] || '';
}

/** Calls `changed` with the ids of the contacts changed in each transaction; returns the function that stops it. */
export function observeContacts(doc: Y.Doc, changed: (contactIds: string[]) => void): () => void {
	return observeEntryChanges(contactsMap(doc), changed);
}
