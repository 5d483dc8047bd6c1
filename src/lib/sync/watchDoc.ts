import type * as Y from 'yjs';
import type { DocHandle } from '$lib/local/DocHandles.ts';

/**
 * Holds a doc for a screen and calls `read` now, on every change (this device, IndexedDB, other devices) and once
 * more when the device's copy is loaded. `loaded` resolves after that read; `release()` stops reading and gives
 * the hold back (a second call does nothing).
 */
export function watchDoc(sync: { acquire(name: string): DocHandle }, name: string, read: (doc: Y.Doc) => void): DocHandle {
	const handle = sync.acquire(name);
	let released = false;
	const onChange = () => read(handle.doc);
	handle.doc.on('update', onChange);
	onChange();
	const loaded = handle.loaded.then(() => {
		if (!released) onChange();
	});
	return {
		name,
		doc: handle.doc,
		loaded,
		...(handle.awareness ? { awareness: handle.awareness } : {}),
		release() {
			if (released) return;
			released = true;
			handle.doc.off('update', onChange);
			handle.release();
		}
	};
}
