import type { SyncStatus } from './clinic-sync.svelte.ts';

/** The device's sync state as the indicator shows it. */
export interface SyncView {
	status: SyncStatus;
	pending: number;
}

/** What a screen reader is told when the sync state changes; most changes say nothing. */
export type SyncAnnouncement = 'offline' | 'online' | 'allSent';

/**
 * Announces going offline, coming back, and the last unsent change arriving — not the page's first state, nor every
 * step of catching up, which would talk over the person's work.
 */
export function syncAnnouncement(before: SyncView | null, now: SyncView): SyncAnnouncement | null {
	if (!before) return null;
	if (now.status === 'offline') return before.status === 'offline' ? null : 'offline';
	if (before.status === 'offline') return 'online';
	if (before.pending > 0 && now.pending === 0) return 'allSent';
	return null;
}
