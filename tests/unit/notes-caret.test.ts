import { Awareness } from 'y-protocols/awareness';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { rightAnchoredCarets } from '../../src/lib/notes/caretPresence.ts';

// NOTES-CARET-1: a caret anchored to what follows it stays put while its owner types before it.

/** A note body of one paragraph, and what y-tiptap publishes for a caret at `index` (anchored to the left). */
function setUp(text: string) {
	const doc = new Y.Doc();
	const paragraph = new Y.XmlText();
	doc.getXmlFragment('body').insert(0, [paragraph]);
	paragraph.insert(0, text);
	const awareness = new Awareness(doc);
	const published: unknown[] = [];
	awareness.on('update', ({ updated }: { updated: number[] }) => {
		if (updated.includes(doc.clientID)) published.push((awareness.getLocalState() as { cursor?: unknown }).cursor);
	});
	const carets = rightAnchoredCarets(awareness);
	const caretAt = (index: number) => {
		const position = Y.createRelativePositionFromTypeIndex(paragraph, index, -1);
		carets.setLocalStateField('cursor', { anchor: position, head: position });
	};
	const shownAt = () => {
		const cursor = (awareness.getLocalState() as { cursor: { head: unknown } }).cursor;
		const absolute = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), doc);
		return absolute?.index;
	};
	return { doc, paragraph, awareness, carets, published, caretAt, shownAt };
}

describe('NOTES-CARET-1: the caret published for colleagues', () => {
	it('typing at the end of a paragraph publishes the caret once, and it stays after the new text', () => {
		const { paragraph, published, caretAt, shownAt } = setUp('Ağrı');
		caretAt(4);
		expect(published).toHaveLength(1);
		for (const [i, ch] of [...' şikâyeti'].entries()) {
			paragraph.insert(4 + i, ch);
			caretAt(5 + i);
			expect(shownAt()).toBe(5 + i);
		}
		expect(published).toHaveLength(1);
	});

	it('typing in the middle of a paragraph publishes nothing more either', () => {
		const { paragraph, published, caretAt, shownAt } = setUp('Diş ağrısı');
		caretAt(4);
		paragraph.insert(4, 'sol ');
		caretAt(8);
		expect(shownAt()).toBe(8);
		expect(published).toHaveLength(1);
	});

	it('moving the caret (a click, an arrow) publishes it', () => {
		const { published, caretAt, shownAt } = setUp('Kontrol randevusu');
		caretAt(3);
		caretAt(10);
		expect(published).toHaveLength(2);
		expect(shownAt()).toBe(10);
	});

	it('other fields and a caret taken away go through unchanged', () => {
		const { awareness, carets, caretAt } = setUp('Not');
		carets.setLocalStateField('user', { name: 'Dr. Elif', color: '#0f766e' });
		caretAt(1);
		carets.setLocalStateField('cursor', null);
		expect(awareness.getLocalState()).toEqual({ user: { name: 'Dr. Elif', color: '#0f766e' }, cursor: null });
		expect(carets.clientID).toBe(awareness.clientID);
		expect(carets.getStates()).toBe(awareness.getStates());
	});
});
