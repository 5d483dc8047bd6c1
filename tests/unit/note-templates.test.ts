import { yXmlFragmentToProsemirrorJSON } from '@tiptap/y-tiptap';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createNote, noteBody, noteText } from '../../src/lib/domain/notes.ts';
import {
	addNoteTemplate,
	changeNoteTemplate,
	fillFromTemplate,
	listNoteTemplates,
	removeNoteTemplate
} from '../../src/lib/domain/noteTemplates.ts';

describe('NOTES-TEMPLATE-1: note templates in the directory start a note already laid out', () => {
	it('admins add, change and remove templates; two admins changing different fields both keep theirs; bad input changes nothing', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const id = addNoteTemplate(a, { title: 'İlk muayene', kind: 'clinical', text: '# Şikâyet\n- Ağrı' });
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		changeNoteTemplate(a, id, { title: 'İlk muayene (yetişkin)', kind: 'clinical', text: '# Şikâyet\n- Ağrı' });
		changeNoteTemplate(b, id, { text: '# Şikâyet\n- Ağrı\n- Şişlik' });
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
		Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
		for (const doc of [a, b])
			expect(listNoteTemplates(doc)).toEqual([
				{ id, title: 'İlk muayene (yetişkin)', kind: 'clinical', text: '# Şikâyet\n- Ağrı\n- Şişlik' }
			]);
		const before = Y.encodeStateVector(a);
		expect(() => addNoteTemplate(a, { title: '', kind: 'clinical', text: 'x' })).toThrow();
		expect(() => addNoteTemplate(a, { title: 'x', kind: 'secret' as never, text: 'x' })).toThrow();
		expect(() => addNoteTemplate(a, { title: 'x', kind: 'clinical', text: 'x'.repeat(8001) })).toThrow();
		expect(Y.encodeStateVector(a)).toEqual(before);
		removeNoteTemplate(a, id);
		expect(listNoteTemplates(a)).toEqual([]);
	});

	it('fills an empty note in the editor’s own nodes: headings, paragraphs, bullets, checklists', () => {
		const doc = new Y.Doc();
		const note = createNote(doc, { title: 'Kontrol', authorId: 'dr1' });
		fillFromTemplate(doc, note, '# Bulgular\nYara iyileşmesi normal.\n- Ağrı yok\n- Şişlik yok\n[ ] Dikiş alındı\n[ ] Röntgen');
		expect(noteText(doc, note)).toBe('Bulgular\nYara iyileşmesi normal.\nAğrı yok\nŞişlik yok\nDikiş alındı\nRöntgen');
		const json = yXmlFragmentToProsemirrorJSON(noteBody(doc, note)) as {
			content: { type: string; attrs?: Record<string, unknown>; content?: { type: string; attrs?: Record<string, unknown> }[] }[];
		};
		expect(json.content.map((n) => n.type)).toEqual(['heading', 'paragraph', 'bulletList', 'taskList']);
		expect(json.content[0].attrs).toMatchObject({ level: 2 });
		expect(json.content[3].content?.map((i) => [i.type, i.attrs?.checked])).toEqual([
			['taskItem', false],
			['taskItem', false]
		]);
		// Only an empty note: a template never writes over what someone typed.
		expect(() => fillFromTemplate(doc, note, 'Başka')).toThrow();
	});
});
