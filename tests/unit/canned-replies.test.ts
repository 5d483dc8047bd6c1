import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ZodError } from 'zod';
import {
	addCannedReply,
	addTemplate,
	changeCannedReply,
	fillTemplate,
	listCannedReplies,
	listTemplates,
	MAX_REPLY_TEXT,
	removeCannedReply,
	searchCannedReplies
} from '../../src/lib/domain/cannedReplies.ts';

describe('canned replies and WhatsApp templates in the directory doc', () => {
	it('REPLIES-1: an admin adds, edits and removes a canned reply; every device reads it by title', () => {
		const doc = new Y.Doc();
		const id = addCannedReply(doc, { title: 'Adres', text: 'Kliniğimiz Moda Cad. 5’te.' });
		addCannedReply(doc, { title: 'Açılış saatleri', text: '09:00–18:00' });
		expect(listCannedReplies(doc).map((r) => r.title)).toEqual(['Açılış saatleri', 'Adres']);
		changeCannedReply(doc, id, { text: 'Moda Cad. 7' });
		expect(listCannedReplies(doc).find((r) => r.id === id)?.text).toBe('Moda Cad. 7');
		removeCannedReply(doc, id);
		expect(listCannedReplies(doc).map((r) => r.title)).toEqual(['Açılış saatleri']);
	});

	it('REPLIES-2: an empty title or an over-long text is refused and changes nothing', () => {
		const doc = new Y.Doc();
		expect(() => addCannedReply(doc, { title: '  ', text: 'x' })).toThrow(ZodError);
		expect(() => addCannedReply(doc, { title: 't', text: 'x'.repeat(MAX_REPLY_TEXT + 1) })).toThrow(ZodError);
		expect(listCannedReplies(doc)).toEqual([]);
	});

	it('REPLIES-3: a template needs an approved-looking name, a language code and its parameter count', () => {
		const doc = new Y.Doc();
		expect(() => addTemplate(doc, { name: 'Randevu Hatırlatma', language: 'tr', bodyParams: 1, preview: 'x' })).toThrow(ZodError);
		expect(() => addTemplate(doc, { name: 'reminder', language: 'turkish', bodyParams: 1, preview: 'x' })).toThrow(ZodError);
		expect(() => addTemplate(doc, { name: 'reminder', language: 'tr', bodyParams: -1, preview: 'x' })).toThrow(ZodError);
		addTemplate(doc, { name: 'appointment_reminder', language: 'en_US', bodyParams: 2, preview: 'Hi {{1}}, see you at {{2}}.' });
		const [tpl] = listTemplates(doc);
		expect(tpl).toMatchObject({ name: 'appointment_reminder', language: 'en_US', bodyParams: 2 });
		expect(fillTemplate(tpl, ['Ayşe', '10:30'])).toBe('Hi Ayşe, see you at 10:30.');
		expect(fillTemplate(tpl, ['Ayşe'])).toBe('Hi Ayşe, see you at {{2}}.');
	});

	it('REPLIES-4: a malformed stored entry is skipped on read (DOC-READ-1)', () => {
		const doc = new Y.Doc();
		addCannedReply(doc, { title: 'Adres', text: 'Moda' });
		const bad = new Y.Map<unknown>();
		doc.getMap('cannedReplies').set('bad', bad);
		bad.set('title', 42);
		expect(listCannedReplies(doc).map((r) => r.title)).toEqual(['Adres']);
	});

	it('REPLIES-5: the picker finds a reply by title or text, İ/i-insensitively', () => {
		const list = [
			{ id: '1', title: 'İptal', text: 'Randevunuz iptal edildi' },
			{ id: '2', title: 'Adres', text: 'Moda' }
		];
		expect(searchCannedReplies(list, 'ipt').map((r) => r.id)).toEqual(['1']);
		expect(searchCannedReplies(list, 'moda').map((r) => r.id)).toEqual(['2']);
		expect(searchCannedReplies(list, '')).toHaveLength(2);
	});
});
