/**
 * Every Yjs transaction names where it came from, so that reactions never answer themselves
 * (the server never re-sends what a channel wrote, the calendar worker never re-pushes Google's change).
 */
export type TransactionOrigin = 'local' | 'remote' | 'store' | 'channel' | 'google' | 'job';
