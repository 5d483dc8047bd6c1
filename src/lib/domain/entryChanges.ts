import type * as Y from 'yjs';

/**
 * Calls `changed` with the keys of the entries of `map` (a map of id → entry) changed in each transaction, an entry
 * set, deleted or edited inside; returns the function that stops it. For indexes kept from a doc.
 */
export function observeEntryChanges<T>(map: Y.Map<T>, changed: (ids: string[]) => void): () => void {
	const observer = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
		const ids = new Set<string>();
		for (const event of events) {
			if (event.target === map) for (const key of (event as Y.YMapEvent<T>).keysChanged) ids.add(key);
			else if (typeof event.path[0] === 'string') ids.add(event.path[0]);
		}
		if (ids.size > 0) changed([...ids]);
	};
	map.observeDeep(observer);
	return () => map.unobserveDeep(observer);
}
