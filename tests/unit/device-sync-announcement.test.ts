import { describe, expect, it } from 'vitest';
import { syncAnnouncement } from '../../src/lib/sync/syncAnnouncement.ts';

describe('what screen readers hear of the sync status', () => {
	it('nothing for the page’s first state, online or not', () => {
		expect(syncAnnouncement(null, { status: 'offline', pending: 3 })).toBeNull();
		expect(syncAnnouncement(null, { status: 'online', pending: 0 })).toBeNull();
	});

	it('going offline, once', () => {
		expect(syncAnnouncement({ status: 'online', pending: 0 }, { status: 'offline', pending: 0 })).toBe('offline');
		expect(syncAnnouncement({ status: 'syncing', pending: 2 }, { status: 'offline', pending: 2 })).toBe('offline');
		expect(syncAnnouncement({ status: 'offline', pending: 2 }, { status: 'offline', pending: 3 })).toBeNull();
	});

	it('coming back online, even before the unsent changes have arrived', () => {
		expect(syncAnnouncement({ status: 'offline', pending: 2 }, { status: 'syncing', pending: 2 })).toBe('online');
		expect(syncAnnouncement({ status: 'offline', pending: 0 }, { status: 'online', pending: 0 })).toBe('online');
	});

	it('all changes sent when the last one is confirmed, not for each edit along the way', () => {
		expect(syncAnnouncement({ status: 'syncing', pending: 1 }, { status: 'online', pending: 0 })).toBe('allSent');
		expect(syncAnnouncement({ status: 'syncing', pending: 3 }, { status: 'syncing', pending: 2 })).toBeNull();
		expect(syncAnnouncement({ status: 'online', pending: 0 }, { status: 'syncing', pending: 1 })).toBeNull();
	});
});
