import type * as Y from 'yjs';
import { z } from 'zod';
import {
	createContact,
	findOrCreateContact,
	listContacts,
	MAX_NAME_LENGTH,
	normalizePhone,
	readContact,
	type ChannelKind,
	type Contact,
	type ContactQuery
} from '../../src/lib/domain/contacts.ts';
import { listThreadSummaries, openThread, readThreadSummary } from '../../src/lib/domain/inbox.ts';
import { isOrigin } from '../../src/lib/domain/origin.ts';

/**
 * An index of a clinic's contacts (by identity, number, email) and threads (by contact and channel), built from
 * the domain's reads once and kept by the channels' own writes, so a busy webhook does not parse the whole contacts
 * and inbox docs per message (`findContact` and `findThreadFor` scan every record). A hit is used only after the
 * domain confirms it on that one record; anything written by someone other than the channels (a device's merge or
 * edit, the automation) drops the index and the next lookup builds it again. What the domain could offer instead:
 * indexed lookups by identity, number and (contact, channel).
 */
class DocIndex {
	complete = false;
	readonly identities = new Map<string, string>();
	readonly phones = new Map<string, string>();
	readonly emails = new Map<string, string>();
	readonly threads = new Map<string, string>();
	/**
	 * Lookups the domain already confirmed on their record (a query's contact, a thread's summary): the channels'
	 * own writes only add to a contact and never change a thread's contact, channel or merge, so a confirmation
	 * holds until something else writes the doc and drops the index.
	 */
	readonly confirmedContacts = new Map<string, string>();
	readonly confirmedThreads = new Set<string>();

	constructor(doc: Y.Doc) {
		doc.on('update', (_update: Uint8Array, origin: unknown) => {
			if (!isOrigin(origin, 'channel')) this.drop();
		});
	}

	drop(): void {
		this.complete = false;
		this.identities.clear();
		this.phones.clear();
		this.emails.clear();
		this.threads.clear();
		this.confirmedContacts.clear();
		this.confirmedThreads.clear();
	}

	addContact(c: Contact): void {
		for (const i of c.identities) setOnce(this.identities, `${i.channel}:${i.id}`, c.id);
		for (const p of c.phones) setOnce(this.phones, p, c.id);
		for (const e of c.emails) setOnce(this.emails, e, c.id);
	}
}

const setOnce = (map: Map<string, string>, key: string, value: string) => {
	if (!map.has(key)) map.set(key, value);
};

const indexes = new WeakMap<Y.Doc, DocIndex>();

function indexOf(doc: Y.Doc): DocIndex {
	let index = indexes.get(doc);
	if (!index) indexes.set(doc, (index = new DocIndex(doc)));
	return index;
}

const isEmail = (value: string) => z.email().safeParse(value).success;

/** Most events come from numbers seen before: their normal form is remembered (libphonenumber's parse is slow). */
const normalized = new Map<string, string | null>();
const MAX_NORMALIZED = 10_000;

function normalizePhoneOnce(raw: string): string | null {
	let phone = normalized.get(raw);
	if (phone === undefined) {
		if (normalized.size >= MAX_NORMALIZED) normalized.clear();
		normalized.set(raw, (phone = normalizePhone(raw)));
	}
	return phone;
}

/** What decides a lookup's answer: the keys it is found by, and whether it brings a name. */
const queryKey = (q: ContactQuery & { name?: string }) =>
	JSON.stringify([q.identity?.channel, q.identity?.id, q.phone, q.email, Boolean(q.name?.trim())]);

/** Whether the contact already holds everything the query would add (so `findOrCreateContact` would change nothing). */
function holdsAll(c: Contact, q: ContactQuery & { name?: string }, phone: string | null, mail: string | null): boolean {
	if (phone && !c.phones.includes(phone)) return false;
	if (q.identity && !c.identities.some((i) => i.channel === q.identity!.channel && i.id === q.identity!.id)) return false;
	if (mail && isEmail(mail) && !c.emails.includes(mail)) return false;
	if (q.name?.trim() && !c.name) return false;
	return true;
}

/**
 * `findOrCreateContact` with the index: identity first, then number, then email (as `findContact` orders them);
 * a new sender is created as `findOrCreateContact` would create it; a known one still lacking something is
 * completed by `findOrCreateContact` itself.
 */
export function findOrCreateContactFast(doc: Y.Doc, q: ContactQuery & { name?: string }, now: Date): string {
	const index = indexOf(doc);
	if (!index.complete) {
		for (const c of listContacts(doc)) index.addContact(c);
		index.complete = true;
	}
	const key = queryKey(q);
	const confirmed = index.confirmedContacts.get(key);
	if (confirmed !== undefined) return confirmed;
	const phone = q.phone === undefined ? null : normalizePhoneOnce(q.phone);
	const mail = q.email?.trim().toLowerCase() || null;
	const candidate =
		(q.identity && index.identities.get(`${q.identity.channel}:${q.identity.id}`)) ||
		(phone && index.phones.get(phone)) ||
		(mail && index.emails.get(mail)) ||
		null;
	const known = candidate ? readContact(doc, candidate) : null;
	if (known && !known.mergedInto) {
		if (holdsAll(known, q, phone, mail)) {
			index.confirmedContacts.set(key, known.id);
			return known.id;
		}
		const completed = findOrCreateContact(doc, q, now).contact;
		index.addContact(completed);
		return completed.id;
	}
	if (candidate) {
		// Merged or gone since the index was built: the domain decides.
		const found = findOrCreateContact(doc, q, now).contact;
		index.addContact(found);
		return found.id;
	}
	const id = createContact(
		doc,
		{
			name: q.name?.trim().slice(0, MAX_NAME_LENGTH),
			phones: phone ? [phone] : [],
			emails: mail && isEmail(mail) ? [mail] : [],
			identities: q.identity ? [q.identity] : []
		},
		now
	);
	index.addContact(readContact(doc, id)!);
	return id;
}

/** The contact's most recent thread on the channel (as `findThreadFor`), or a new one. */
export function findOrOpenThread(
	doc: Y.Doc,
	contactId: string,
	channel: ChannelKind,
	at: string
): { threadId: string; newThread: boolean } {
	const index = indexOf(doc);
	if (!index.complete) {
		// Newest activity first: the first one seen per (contact, channel) is the one findThreadFor returns.
		for (const s of listThreadSummaries(doc)) setOnce(index.threads, `${s.contactId}:${s.channel}`, s.id);
		index.complete = true;
	}
	const key = `${contactId}:${channel}`;
	const known = index.threads.get(key);
	if (known !== undefined && index.confirmedThreads.has(known)) return { threadId: known, newThread: false };
	const summary = known ? readThreadSummary(doc, known) : null;
	if (summary && !summary.mergedInto && summary.contactId === contactId && summary.channel === channel) {
		index.confirmedThreads.add(summary.id);
		return { threadId: summary.id, newThread: false };
	}
	if (known) {
		index.drop();
		return findOrOpenThread(doc, contactId, channel, at);
	}
	const threadId = openThread(doc, { contactId, channel, at });
	index.threads.set(key, threadId);
	return { threadId, newThread: true };
}
