export { FrontdeskDatabase, DATABASE_NAME, type StoredUpdate, type PendingChange } from './db.ts';
export { DocPersistence, FROM_LOCAL_STORE, isLocalOrigin } from './DocPersistence.ts';
