export { FrontdeskDatabase, DATABASE_NAME, type StoredUpdate, type PendingChange } from './db.ts';
export { DocPersistence, isLocalOrigin } from './DocPersistence.ts';
