import type { SyncTarget } from '../fleet.ts';

/** A relay server running in its own child process, ready for clients. */
export interface RelayServer extends SyncTarget {
	readonly name: string;
	readonly pid: number;
	stop(): Promise<void>;
}
