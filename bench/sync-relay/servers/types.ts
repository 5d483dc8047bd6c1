import type { SyncTarget } from '../fleet.ts';

/** A relay server running in its own child process, ready for clients. */
export interface RelayServer extends SyncTarget {
	readonly name: string;
	readonly pid: number;
	/** Store commits and updates committed so far, for servers that batch writes (ours reports them on /healthz). */
	commitStats?(): Promise<CommitStats>;
	stop(): Promise<void>;
}

export interface CommitStats {
	commits: number;
	updates: number;
}
