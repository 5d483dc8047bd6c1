import * as Y from 'yjs';
import { z } from 'zod';
import { channelKind, type ChannelKind } from './contacts.ts';
import { docId } from './fields.ts';
import { newId } from './ids.ts';

/**
 * The `<clinic>/thread/<id>` doc: one conversation's entries — messages in and out, internal comments, calls, web
 * forms and events — each a Y.Map in one Y.Array, in the order they were written. Devices queue replies here
 * (also offline) and write comments; the server writes what the channels receive and moves each reply through
 * its delivery statuses. These functions are the only code that touches the doc.
 */

export const ENTRY_KINDS = ['message', 'comment', 'call', 'form', 'event'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type EntryStatus = DeliveryStatus | 'received';

export type CallOutcome = 'answered' | 'missed' | 'voicemail';

export interface EntryMedia {
	/** The server's id of the stored (encrypted) file, served at `/media/<mediaId>`; null while it is fetched. */
	mediaId: string | null;
	mime: string;
	bytes: number;
	filename: string | null;
}

export interface ThreadEntry {
	id: string;
	kind: EntryKind;
	/** ISO time. */
	at: string;
	direction: 'in' | 'out' | null;
	channel: ChannelKind | null;
	text: string;
	/** The staff member who wrote it (replies, comments). */
	authorId: string | null;
	status: EntryStatus | null;
	error: { code: string; message: string } | null;
	providerMessageId: string | null;
	/** text, image, audio, video, document, sticker, location, contacts, interactive, button, reaction, template, unsupported:<type>, call, form, event… */
	messageType: string;
	media: EntryMedia | null;
	/** Structured extras (JSON): a location, shared contacts, a reaction's target, a template, a call, form fields. */
	details: Record<string, unknown>;
	mentions: string[];
	/** Which sending attempt a reply is on; a retry is a new attempt, claimed anew. */
	attempt: number;
	callbackDone: boolean;
}

export const MAX_TEXT_LENGTH = 4096;
export const MAX_COMMENT_LENGTH = 4096;
/** Structured extras are small: a location, a few shared contacts, a form's fields. */
export const MAX_DETAILS_BYTES = 16 * 1024;
export const MAX_MENTIONS = 20;
/** WhatsApp's customer-service window: free-form replies only within 24 hours of the patient's last message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

const ENTRIES = 'entries';
const isoTime = z.iso.datetime({ offset: true });
const providerId = z.string().min(1).max(256);
const details = z
	.record(z.string(), z.unknown())
	.refine((d) => JSON.stringify(d).length <= MAX_DETAILS_BYTES, 'details too large');
const media = z.object({
	mediaId: docId.nullable(),
	mime: z.string().max(127),
	bytes: z.number().int().min(0),
	filename: z.string().max(255).nullable()
});
const messageType = z.string().min(1).max(64);
const errorInfo = z.object({ code: z.string().max(64), message: z.string().max(1000) });

const STATUS_RANK: Record<DeliveryStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

function entries(doc: Y.Doc): Y.Array<Y.Map<unknown>> {
	return doc.getArray(ENTRIES);
}

const storedEntry = z.object({
	id: docId,
	kind: z.enum(ENTRY_KINDS),
	at: isoTime,
	direction: z.enum(['in', 'out']).nullable().catch(null),
	channel: channelKind.nullable().catch(null),
	text: z
		.string()
		.catch('')
		.transform((s) => s.slice(0, MAX_TEXT_LENGTH)),
	authorId: docId.nullable().catch(null),
	status: z
		.enum([...DELIVERY_STATUSES, 'received'])
		.nullable()
		.catch(null),
	error: errorInfo.nullable().catch(null),
	providerMessageId: providerId.nullable().catch(null),
	messageType: messageType.catch('text'),
	media: media.nullable().catch(null),
	details: details.catch({}),
	mentions: z.array(docId).max(MAX_MENTIONS).catch([]),
	attempt: z.number().int().min(0).catch(0),
	callbackDone: z.boolean().catch(false)
});

const DEFAULTS = {
	direction: null,
	channel: null,
	text: '',
	authorId: null,
	status: null,
	error: null,
	providerMessageId: null,
	messageType: 'text',
	media: null,
	details: {},
	mentions: [],
	attempt: 0,
	callbackDone: false
};

function readFrom(entry: unknown): ThreadEntry | null {
	if (!(entry instanceof Y.Map)) return null;
	const parsed = storedEntry.safeParse({ ...DEFAULTS, ...Object.fromEntries(entry.entries()) });
	return parsed.success ? parsed.data : null;
}

/** Every entry, by time and then in the order written (two devices' entries of one moment stay in one order). */
export function readEntries(doc: Y.Doc): ThreadEntry[] {
	const out: { entry: ThreadEntry; index: number }[] = [];
	entries(doc)
		.toArray()
		.forEach((raw, index) => {
			const entry = readFrom(raw);
			if (entry) out.push({ entry, index });
		});
	return out.sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index).map((o) => o.entry);
}

function find(doc: Y.Doc, matches: (e: Y.Map<unknown>) => boolean): Y.Map<unknown> | null {
	for (const e of entries(doc)) if (e instanceof Y.Map && matches(e)) return e;
	return null;
}

function entryById(doc: Y.Doc, id: string): Y.Map<unknown> {
	const entry = find(doc, (e) => e.get('id') === id);
	if (!entry) throw new Error(`no entry ${id}`);
	return entry;
}

function append(doc: Y.Doc, fields: Partial<Omit<ThreadEntry, 'id'>> & { kind: EntryKind; at: string }): string {
	const id = newId();
	const entry = new Y.Map<unknown>();
	for (const [key, value] of Object.entries({ ...DEFAULTS, ...fields, id })) entry.set(key, value);
	entries(doc).push([entry]);
	return id;
}

export function findByProviderId(doc: Y.Doc, pid: string): ThreadEntry | null {
	return readFrom(find(doc, (e) => e.get('providerMessageId') === pid));
}

const inboundInput = z.object({
	channel: channelKind,
	at: isoTime,
	text: z.string().max(MAX_TEXT_LENGTH).default(''),
	messageType,
	providerMessageId: providerId,
	media: media.nullable().default(null),
	details: details.default({})
});

export type InboundInput = z.input<typeof inboundInput>;

/** A message from the patient; delivering the same provider message again returns the entry already there. */
export function appendInbound(doc: Y.Doc, input: InboundInput): string {
	const parsed = inboundInput.parse(input);
	const existing = findByProviderId(doc, parsed.providerMessageId);
	if (existing) return existing.id;
	return append(doc, { kind: 'message', direction: 'in', status: 'received', ...parsed });
}

const template = z.object({
	name: z
		.string()
		.min(1)
		.max(512)
		.regex(/^[a-z0-9_]+$/),
	language: z
		.string()
		.min(2)
		.max(15)
		.regex(/^[a-z]{2,3}(_[A-Z]{2})?$/),
	params: z.array(z.string().max(1024)).max(20)
});
export type TemplateMessage = z.output<typeof template>;

const replyInput = z
	.object({
		channel: channelKind,
		text: z.string().max(MAX_TEXT_LENGTH).default(''),
		authorId: docId,
		template: template.optional(),
		/** The appointment reminder this reply is (`server/jobs/reminders.ts`), so it is queued once. */
		reminder: z.string().max(200).optional()
	})
	.refine((r) => r.template || r.text.trim().length > 0, 'a reply needs text or a template');

/** A reply to the patient, queued: the server sends it when it has it (the device may be offline now). */
export function queueReply(doc: Y.Doc, input: z.input<typeof replyInput>, now: Date = new Date()): string {
	const { channel, text, authorId, template: tpl, reminder } = replyInput.parse(input);
	return append(doc, {
		kind: 'message',
		direction: 'out',
		channel,
		text,
		authorId,
		at: now.toISOString(),
		status: 'queued',
		messageType: tpl ? 'template' : 'text',
		details: { ...(tpl ? { template: tpl } : {}), ...(reminder ? { reminder } : {}) },
		attempt: 1
	});
}

const commentInput = z.object({
	text: z.string().trim().min(1).max(MAX_COMMENT_LENGTH),
	authorId: docId,
	mentions: z.array(docId).max(MAX_MENTIONS).default([])
});

/** An internal comment for colleagues: never sent to the patient. */
export function addComment(doc: Y.Doc, input: z.input<typeof commentInput>, now: Date = new Date()): string {
	const { text, authorId, mentions } = commentInput.parse(input);
	return append(doc, {
		kind: 'comment',
		text,
		authorId,
		mentions: [...new Set(mentions)],
		at: now.toISOString(),
		messageType: 'comment'
	});
}

const callInput = z.object({
	at: isoTime,
	outcome: z.enum(['answered', 'missed', 'voicemail']),
	durationSeconds: z.number().int().min(0).max(86_400),
	providerCallId: providerId,
	from: z.string().max(40).optional(),
	recordingMediaId: docId.optional()
});

export type CallInput = z.input<typeof callInput>;

/** A phone call; the same call reported again updates nothing and returns the entry already there. */
export function appendCall(doc: Y.Doc, input: CallInput): string {
	const { at, outcome, durationSeconds, providerCallId, from, recordingMediaId } = callInput.parse(input);
	const existing = findByProviderId(doc, providerCallId);
	if (existing) return existing.id;
	return append(doc, {
		kind: 'call',
		direction: 'in',
		channel: 'phone',
		at,
		providerMessageId: providerCallId,
		messageType: 'call',
		status: 'received',
		media: recordingMediaId ? { mediaId: recordingMediaId, mime: 'audio/mpeg', bytes: 0, filename: null } : null,
		details: { call: { outcome, durationSeconds, ...(from ? { from } : {}) } }
	});
}

const formInput = z.object({
	at: isoTime,
	providerFormId: providerId,
	fields: z.record(z.string().max(64), z.string().max(MAX_TEXT_LENGTH)),
	text: z.string().max(MAX_TEXT_LENGTH).default('')
});

export type FormInput = z.input<typeof formInput>;

/** A website form's submission; idempotent on the submission's id. */
export function appendForm(doc: Y.Doc, input: FormInput): string {
	const { at, providerFormId, fields, text } = formInput.parse(input);
	const existing = findByProviderId(doc, providerFormId);
	if (existing) return existing.id;
	return append(doc, {
		kind: 'form',
		direction: 'in',
		channel: 'web',
		at,
		text,
		providerMessageId: providerFormId,
		messageType: 'form',
		status: 'received',
		details: { fields }
	});
}

/** Whether an inbound entry's input would be accepted, without writing it (a batch checks before counting it). */
export function checkInboundInput(kind: 'message' | 'call' | 'form', input: InboundInput | CallInput | FormInput): void {
	({ message: inboundInput, call: callInput, form: formInput })[kind].parse(input);
}

const eventInput = z.object({ at: isoTime, text: z.string().max(1000), details: details.default({}) });

/** Something that happened to the thread (a merge, an automatic assignment), shown in its history. */
export function appendEvent(doc: Y.Doc, input: z.input<typeof eventInput>): string {
	const parsed = eventInput.parse(input);
	return append(doc, { kind: 'event', messageType: 'event', ...parsed });
}

/**
 * Moves a reply's delivery status forward only: statuses may arrive late or out of order (a `delivered` after
 * `read`), and none may undo a later one. `failed` applies to a reply not yet delivered.
 */
export function setDeliveryStatus(
	doc: Y.Doc,
	entryId: string,
	status: DeliveryStatus,
	error?: { code: string; message: string }
): boolean {
	const next = z.enum(DELIVERY_STATUSES).parse(status);
	const info = error === undefined ? null : errorInfo.parse(error);
	const entry = entryById(doc, entryId);
	const current = entry.get('status');
	if (typeof current !== 'string' || !(current in STATUS_RANK)) return false;
	const from = current as DeliveryStatus;
	const moves =
		next === 'failed' ? from === 'queued' || from === 'sent' : from !== 'failed' && STATUS_RANK[next] > STATUS_RANK[from];
	if (!moves) return false;
	doc.transact(() => {
		entry.set('status', next);
		entry.set('error', next === 'failed' ? (info ?? { code: 'unknown', message: '' }) : null);
	});
	return true;
}

export function setProviderMessageId(doc: Y.Doc, entryId: string, pid: string): void {
	entryById(doc, entryId).set('providerMessageId', providerId.parse(pid));
}

/** Staff try a failed reply again: it is queued anew, as a new attempt the dispatcher claims afresh. */
export function retryReply(doc: Y.Doc, entryId: string): void {
	const entry = entryById(doc, entryId);
	if (entry.get('status') !== 'failed' || entry.get('direction') !== 'out') throw new Error('only a failed reply can be retried');
	const attempt = entry.get('attempt');
	doc.transact(() => {
		entry.set('status', 'queued');
		entry.set('error', null);
		entry.set('attempt', (typeof attempt === 'number' ? attempt : 1) + 1);
	});
}

export function markCallbackDone(doc: Y.Doc, entryId: string): void {
	const entry = entryById(doc, entryId);
	if (entry.get('kind') !== 'call') throw new Error('only a call has a call-back task');
	entry.set('callbackDone', true);
}

/** The server's id of a fetched file, filled into an inbound message stored before its media was fetched. */
export function setEntryMedia(
	doc: Y.Doc,
	entryId: string,
	value: EntryMedia | null,
	error?: { code: string; message: string }
): void {
	const entry = entryById(doc, entryId);
	doc.transact(() => {
		entry.set('media', value === null ? null : media.parse(value));
		if (error) entry.set('error', errorInfo.parse(error));
	});
}

export function queuedReplies(doc: Y.Doc): ThreadEntry[] {
	return readEntries(doc).filter((e) => e.kind === 'message' && e.direction === 'out' && e.status === 'queued');
}

export function lastInboundAt(doc: Y.Doc): string | null {
	let last: string | null = null;
	for (const e of readEntries(doc)) if (e.kind === 'message' && e.direction === 'in' && (!last || e.at > last)) last = e.at;
	return last;
}

export function withinServiceWindow(lastInbound: string | null, now: Date): boolean {
	return lastInbound !== null && now.getTime() - Date.parse(lastInbound) < SERVICE_WINDOW_MS;
}

/**
 * Copies every entry of one thread into another (merging threads): new ids, the same content, so the kept
 * thread holds the whole conversation while the merged one stays as it was.
 */
export function copyEntries(from: Y.Doc, to: Y.Doc): number {
	const copied = readEntries(from);
	to.transact(() => {
		for (const e of copied) {
			const { id: original, ...fields } = e;
			// A copy is history: a reply still queued is sent from the thread it was written in, never twice.
			const status = fields.status === 'queued' ? null : fields.status;
			append(to, { ...fields, status, details: { ...fields.details, copiedFrom: original } });
		}
	});
	return copied.length;
}
