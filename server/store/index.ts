import path from 'node:path';
import { SqliteStore } from './sqlite/SqliteStore.ts';
import type { Store } from './types.ts';

export type * from './types.ts';

/** The embedded default: `<dataDir>/frontdesk.db`. */
export function openStore(dataDir: string): Store {
	return new SqliteStore(path.join(dataDir, 'frontdesk.db'));
}
