export { SyncServer, type DocHandle, type SyncServerOptions } from './SyncServer.ts';
export type { CommittedUpdate, SyncHooks } from './hooks.ts';
