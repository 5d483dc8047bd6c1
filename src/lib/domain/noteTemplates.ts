import * as Y from 'yjs';
import { z } from 'zod';
import { readEntry } from './fields.ts';
import { newId } from './ids.ts';
import { noteBody } from './notes.ts';

/**
 * Note templates (first visit, follow-up…) kept in the `<clinic>/directory` doc, written by admins: a title, the
 * kind of note it starts, and its text in a plain line format anyone can type — `# ` a heading, `- ` a bullet,
 * `[ ] ` a checklist item, anything else a paragraph. Each is a Y.Map under its id, so two admins' edits merge
 * field by field.
 */
export interface NoteTemplate {
	id: string;
	title: string;
	kind: 'clinical' | 'administrative';
	text: string;
}

export const MAX_NOTE_TEMPLATES = 100;
export const MAX_TEMPLATE_TEXT = 8000;

export const noteTemplateInput = z.object({
	title: z.string().trim().min(1, 'noteTemplates.title').max(80, 'noteTemplates.title'),
	kind: z.enum(['clinical', 'administrative']),
	text: z.string().trim().min(1, 'noteTemplates.text').max(MAX_TEMPLATE_TEXT, 'noteTemplates.text')
});
export type NoteTemplateInput = z.input<typeof noteTemplateInput>;

export class NoteTemplateError extends Error {
	override name = 'NoteTemplateError';
}

const templates = (doc: Y.Doc) => doc.getMap<unknown>('noteTemplates');

/** The templates by title (Turkish-aware). */
export function listNoteTemplates(doc: Y.Doc): NoteTemplate[] {
	const out: NoteTemplate[] = [];
	for (const [id, value] of templates(doc).entries()) {
		const read = readEntry(value, noteTemplateInput);
		if (read) out.push({ id, ...read });
	}
	return out.sort((a, b) => a.title.localeCompare(b.title, 'tr'));
}

export function addNoteTemplate(doc: Y.Doc, input: NoteTemplateInput): string {
	const parsed = noteTemplateInput.parse(input);
	if (templates(doc).size >= MAX_NOTE_TEMPLATES) throw new NoteTemplateError('noteTemplates.tooMany');
	const id = newId();
	doc.transact(() => {
		const entry = new Y.Map<unknown>();
		for (const [k, v] of Object.entries(parsed)) entry.set(k, v);
		templates(doc).set(id, entry);
	});
	return id;
}

/** Writes only the fields that differ, so another admin's change of another field stays. */
export function changeNoteTemplate(doc: Y.Doc, id: string, input: Partial<NoteTemplateInput>): void {
	const parsed = noteTemplateInput.partial().parse(input);
	const entry = templates(doc).get(id);
	if (!(entry instanceof Y.Map)) throw new NoteTemplateError('noteTemplates.missing');
	doc.transact(() => {
		for (const [k, v] of Object.entries(parsed)) if (v !== undefined && entry.get(k) !== v) entry.set(k, v);
	});
}

export function removeNoteTemplate(doc: Y.Doc, id: string): void {
	if (templates(doc).has(id)) doc.transact(() => templates(doc).delete(id));
}

// Attributes keep their type (a heading's level is a number, a task's `checked` a boolean): what the editor reads.
type Attrs = Record<string, string | number | boolean>;

function block(name: string, text: string, attrs: Attrs = {}): Y.XmlElement {
	const element = new Y.XmlElement<Attrs>(name);
	for (const [k, v] of Object.entries(attrs)) element.setAttribute(k, v);
	// Yjs types element children as string-attributed; the values above are what the editor's schema reads.
	if (text) element.insert(0, [new Y.XmlText(text)]);
	return element as unknown as Y.XmlElement;
}

function listOf(name: 'bulletList' | 'taskList', items: string[]): Y.XmlElement {
	const list = new Y.XmlElement(name);
	list.insert(
		0,
		items.map((text) => {
			const item = new Y.XmlElement<Attrs>(name === 'taskList' ? 'taskItem' : 'listItem');
			if (name === 'taskList') item.setAttribute('checked', false);
			item.insert(0, [block('paragraph', text)]);
			return item as unknown as Y.XmlElement;
		})
	);
	return list;
}

/**
 * Fills an empty note's body from a template's text, in the editor's own node names (the starter kit's headings,
 * paragraphs and lists, task lists), so the note opens formatted.
 */
export function fillFromTemplate(doc: Y.Doc, noteId: string, text: string): void {
	const body = noteBody(doc, noteId);
	if (body.length > 0) throw new NoteTemplateError('noteTemplates.notEmpty');
	const blocks: Y.XmlElement[] = [];
	let list = null as { name: 'bulletList' | 'taskList'; items: string[] } | null;
	const flush = () => {
		if (list) blocks.push(listOf(list.name, list.items));
		list = null;
	};
	for (const raw of text.split(/\r?\n/)) {
		const line = raw.trimEnd();
		const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
		const task = /^\s*\[[ xX]?\]\s+(.*)$/.exec(line);
		const name = task ? 'taskList' : bullet ? 'bulletList' : null;
		if (name) {
			if (list?.name !== name) flush();
			list ??= { name, items: [] };
			list.items.push((task ?? bullet)![1]);
			continue;
		}
		flush();
		const heading = /^#{1,3}\s+(.*)$/.exec(line);
		if (heading) blocks.push(block('heading', heading[1], { level: 2 }));
		else if (line.trim()) blocks.push(block('paragraph', line.trim()));
	}
	flush();
	if (blocks.length > 0) doc.transact(() => body.insert(0, blocks));
}
