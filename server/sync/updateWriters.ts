import type { UpdateWriterRow } from '../store/index.ts';
import type { SyncHooks } from './hooks.ts';

/**
 * Keeps who wrote each stored update (SYNC-STORE-6), from its structured origin: ids only, never names or
 * content, so the row says nothing an erasure would have to find.
 */
export const updateWriters: SyncHooks = {
	rowsFor({ origin }) {
		const row = (source: UpdateWriterRow['source'], userId: string | null = null, sessionId: string | null = null) => [
			{ kind: 'writer', source, userId, sessionId } as const
		];
		switch (origin.source) {
			case 'connection':
				return row('connection', origin.userId, origin.sessionId);
			case 'store':
				// Never committed: what was read back from the store is not stored again.
				return [];
			default:
				return row(origin.source);
		}
	}
};
