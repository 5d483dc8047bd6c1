export { SyncServer, type SyncServerOptions } from './SyncServer.ts';
