import * as Y from 'yjs';
import { z } from 'zod';
import { newId } from './ids.ts';
import { readEntry } from './fields.ts';

/**
 * The `<clinic>/directory` doc's texts for replying: canned replies (`{ id, title, text }`) staff insert into the
 * composer, and the clinic's approved WhatsApp templates, the only thing WhatsApp accepts outside its 24-hour
 * window. Each is a Y.Map under its id in its own top-level map, so two admins' edits merge field by field.
 */
export interface CannedReply {
	id: string;
	title: string;
	text: string;
}

export interface WhatsAppTemplate {
	id: string;
	/** The template's name as approved at Meta (lower case, digits, underscores). */
	name: string;
	/** Meta's language code, e.g. `tr`, `en_US`. */
	language: string;
	/** How many `{{n}}` parameters its body takes. */
	bodyParams: number;
	/** The body as staff see it, with `{{1}}`… where the parameters go. */
	preview: string;
}

export const MAX_CANNED_REPLIES = 200;
export const MAX_TEMPLATES = 100;
export const MAX_REPLY_TITLE = 80;
/** As long as a message may be (thread.ts MAX_TEXT_LENGTH): a canned reply is sent as it is. */
export const MAX_REPLY_TEXT = 4096;
export const MAX_TEMPLATE_PARAMS = 20;

export const cannedReplyInput = z.object({
	title: z.string().trim().min(1, 'replies.title').max(MAX_REPLY_TITLE, 'replies.title'),
	text: z.string().trim().min(1, 'replies.text').max(MAX_REPLY_TEXT, 'replies.text')
});
export type CannedReplyInput = z.input<typeof cannedReplyInput>;

export const templateInput = z.object({
	name: z
		.string()
		.trim()
		.regex(/^[a-z0-9_]{1,512}$/, 'replies.templateName'),
	language: z
		.string()
		.trim()
		.regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'replies.language'),
	bodyParams: z.number().int('replies.params').min(0, 'replies.params').max(MAX_TEMPLATE_PARAMS, 'replies.params'),
	preview: z.string().trim().min(1, 'replies.preview').max(1024, 'replies.preview')
});
export type TemplateInput = z.input<typeof templateInput>;

/** A refused write that is not about the input's shape: too many, or an entry another admin removed. */
export class RepliesError extends Error {
	override name = 'RepliesError';
}

const replies = (doc: Y.Doc) => doc.getMap<unknown>('cannedReplies');
const templates = (doc: Y.Doc) => doc.getMap<unknown>('whatsappTemplates');

function readAll<S extends z.ZodType<Record<string, unknown>>>(map: Y.Map<unknown>, schema: S): (z.output<S> & { id: string })[] {
	const out: (z.output<S> & { id: string })[] = [];
	for (const [id, value] of map.entries()) {
		const read = readEntry(value, schema) as z.output<S> | null;
		if (read) out.push({ ...read, id });
	}
	return out;
}

function add(doc: Y.Doc, map: Y.Map<unknown>, fields: Record<string, unknown>, max: number): string {
	if (map.size >= max) throw new RepliesError('replies.tooMany');
	const id = newId();
	doc.transact(() => {
		const entry = new Y.Map<unknown>();
		for (const [k, v] of Object.entries(fields)) entry.set(k, v);
		map.set(id, entry);
	});
	return id;
}

function change(doc: Y.Doc, map: Y.Map<unknown>, id: string, fields: Record<string, unknown>): void {
	const entry = map.get(id);
	if (!(entry instanceof Y.Map)) throw new RepliesError('replies.missing');
	doc.transact(() => {
		for (const [k, v] of Object.entries(fields)) if (v !== undefined && entry.get(k) !== v) entry.set(k, v);
	});
}

/** Canned replies by title (Turkish-aware), what reads well in a picker. */
export function listCannedReplies(doc: Y.Doc): CannedReply[] {
	return readAll(replies(doc), cannedReplyInput).sort((a, b) => a.title.localeCompare(b.title, 'tr'));
}

export function addCannedReply(doc: Y.Doc, input: CannedReplyInput): string {
	return add(doc, replies(doc), cannedReplyInput.parse(input), MAX_CANNED_REPLIES);
}

export function changeCannedReply(doc: Y.Doc, id: string, input: Partial<CannedReplyInput>): void {
	change(doc, replies(doc), id, cannedReplyInput.partial().parse(input));
}

export function removeCannedReply(doc: Y.Doc, id: string): void {
	if (replies(doc).has(id)) doc.transact(() => replies(doc).delete(id));
}

export function listTemplates(doc: Y.Doc): WhatsAppTemplate[] {
	return readAll(templates(doc), templateInput).sort(
		(a, b) => a.name.localeCompare(b.name) || a.language.localeCompare(b.language)
	);
}

export function addTemplate(doc: Y.Doc, input: TemplateInput): string {
	return add(doc, templates(doc), templateInput.parse(input), MAX_TEMPLATES);
}

export function changeTemplate(doc: Y.Doc, id: string, input: Partial<TemplateInput>): void {
	change(doc, templates(doc), id, templateInput.partial().parse(input));
}

export function removeTemplate(doc: Y.Doc, id: string): void {
	if (templates(doc).has(id)) doc.transact(() => templates(doc).delete(id));
}

/** The template's text with its parameters filled in (what the patient will read), `{{n}}` kept where one is empty. */
export function fillTemplate(template: WhatsAppTemplate, params: readonly string[]): string {
	return template.preview.replace(/\{\{(\d+)\}\}/g, (whole, n: string) => params[Number(n) - 1]?.trim() || whole);
}

/** Canned replies whose title or text contains the query (case- and Turkish-İ-insensitive). */
export function searchCannedReplies(list: readonly CannedReply[], query: string): CannedReply[] {
	const q = query.trim().toLocaleLowerCase('tr');
	if (!q) return [...list];
	return list.filter((r) => r.title.toLocaleLowerCase('tr').includes(q) || r.text.toLocaleLowerCase('tr').includes(q));
}
