import { Extension } from '@tiptap/core';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import type { EditorView } from '@tiptap/pm/view';

/**
 * ProseMirror's reader of the browser's selection and DOM changes (not in its public types: should a later version
 * rename it, keys act as before this extension rather than failing, and `tests/e2e/notes-caret.test.ts` says so).
 */
interface WithDomObserver {
	domObserver?: { flush?: () => void };
}

/**
 * Reads where the browser shows the caret into the editor's state, if it has moved since the editor last looked.
 * Not while an input method composes, nor for Android's keyboards (key code 229, sent before their change reaches the
 * page): ProseMirror itself leaves the page's state unread then, and a read in the middle would see half a change.
 */
function readCaret(view: EditorView, event?: KeyboardEvent): false {
	if (view.composing || event?.keyCode === 229) return false;
	(view as unknown as WithDomObserver).domObserver?.flush?.();
	return false;
}

/**
 * Keys act where the caret is shown (NOTES-CARET-2).
 *
 * The browser moves the caret itself on a click, Ctrl+End or an arrow key, and ProseMirror learns of it from the
 * `selectionchange` event. Chrome sends that event as an ordinary task, after input that is already queued: on a
 * busy tablet a key pressed right after a click or Ctrl+End reached the editor first, and the editor applied it to
 * the caret it knew before. Enter split the paragraph the person had left — in a shared note, under a colleague's
 * words — and a paste or a cut landed there too. (The typed characters themselves were right: the browser inserts
 * them at its own caret.) So before any key, paste or cut is handled, the editor reads the browser's caret first.
 * This extension's priority puts it before every keymap.
 */
export const CaretBeforeKeys = Extension.create({
	name: 'caretBeforeKeys',
	priority: 10_000,
	addProseMirrorPlugins() {
		return [
			new Plugin({
				key: new PluginKey('caretBeforeKeys'),
				props: {
					handleKeyDown: (view, event) => readCaret(view, event),
					handleDOMEvents: { paste: (view) => readCaret(view), cut: (view) => readCaret(view) }
				}
			})
		];
	}
});
