import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';

/** What the collaboration caret plugin publishes in the awareness `cursor` field. */
interface CaretField {
	anchor: unknown;
	head: unknown;
}

/**
 * The presence a note editor's caret plugin writes through: the same awareness, except that the caret it publishes
 * is anchored to the character after it instead of the one before.
 *
 * y-tiptap anchors a caret to the character on its left, so each keystroke moved it to the new character: one
 * presence message per keystroke to every colleague, each redrawing the note a second time (the caret is a widget
 * in the text). Anchored to the right — the next character, or the end of the paragraph — a caret stays where it
 * is while its owner types before it: the colleagues place it after the new text from the keystroke alone, and a
 * message goes out only when the caret really moves (a click, an arrow, a new paragraph).
 */
export function rightAnchoredCarets(awareness: Awareness): Awareness {
	const publish = (field: string, value: unknown) => {
		if (field === 'cursor' && isCaret(value)) {
			const caret = { anchor: anchorRight(awareness.doc, value.anchor), head: anchorRight(awareness.doc, value.head) };
			const current = (awareness.getLocalState() as { cursor?: unknown } | null)?.cursor;
			if (isCaret(current) && samePosition(current.anchor, caret.anchor) && samePosition(current.head, caret.head)) return;
			awareness.setLocalStateField(field, caret);
			return;
		}
		awareness.setLocalStateField(field, value);
	};
	return new Proxy(awareness, {
		get(target, property) {
			if (property === 'setLocalStateField') return publish;
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		}
	});
}

function isCaret(value: unknown): value is CaretField {
	return typeof value === 'object' && value !== null && 'anchor' in value && 'head' in value;
}

/** The same place in the text, anchored to what follows it; a place outside a text run is kept as it is. */
function anchorRight(doc: Y.Doc, position: unknown): unknown {
	const relative = Y.createRelativePositionFromJSON(position);
	const absolute = Y.createAbsolutePositionFromRelativePosition(relative, doc);
	if (!absolute || !(absolute.type instanceof Y.XmlText)) return position;
	return Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(absolute.type, absolute.index, 0));
}

function samePosition(a: unknown, b: unknown): boolean {
	return Y.compareRelativePositions(Y.createRelativePositionFromJSON(a), Y.createRelativePositionFromJSON(b));
}
