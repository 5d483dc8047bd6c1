export { FrontdeskDatabase, DATABASE_NAME, type StoredUpdate, type PendingChange } from './db.ts';
export { DocPersistence, isLocalOrigin } from './DocPersistence.ts';
export { DocHandles, KEEP_RECENT_DOCS, type DocHandle, type DocAttachment } from './DocHandles.ts';
export { describeUnsent, type UnsentDoc, type UnsentAppointment, type UnsentAction } from './describeUnsent.ts';
export { readUnsent, unsentCount } from './readUnsent.ts';
export { ServerDeletions, deletedRanges, type DeletedRange, type DeleteSetLike } from './serverDeletions.ts';
export { InboxIndex, queryThreads, threadTags, type ThreadFilter } from './inboxIndex.ts';
export type { ThreadRow } from './inboxTables.ts';
