import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Accounts, LoginLimiter, Sessions, SyncTickets } from './auth/index.ts';
import { createApiHandler, TRPC_PREFIX } from './api/index.ts';
import type { Config } from './config/index.ts';
import { openStoreAndKeys } from './boot.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { seedDemoClinic } from './seed/demoClinic.ts';
import type { Store } from './store/index.ts';
import { SyncServer } from './sync/index.ts';
import { SYNC_PATH_PREFIX } from '../src/lib/domain/syncProtocol.ts';

/** The SvelteKit app (adapter-node's handler in production, Vite's middlewares in development). */
export type AppHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface Frontdesk {
	readonly httpServer: http.Server;
	readonly logger: Logger;
	readonly store: Store;
	readonly metrics: Metrics;
	setAppHandler(handler: AppHandler): void;
	listen(): Promise<number>;
	close(): Promise<void>;
}

/** Composes the process: config → store → keys → auth → sync → API → one HTTP server on one port. */
export async function createFrontdesk(config: Config): Promise<Frontdesk> {
	const logger = createLogger(config.logLevel);
	const metrics = createMetrics();
	const { store, keyring } = await openStoreAndKeys(config);

	const sessions = new Sessions(store);
	const tickets = new SyncTickets(store);
	const accounts = new Accounts(store, keyring);
	const sync = new SyncServer({
		store,
		keyring,
		sessions,
		tickets,
		logger,
		metrics,
		origins: config.origins,
		limits: config.sync,
		sessionRecheckMs: config.sessionRecheckMs,
		compactAfterUpdates: config.compactAfterUpdates
	});
	if (config.demoClinic && (await store.countClinics()) === 0) await seedDemoClinic(accounts, sync, config);
	const api = createApiHandler({ accounts, sessions, tickets, loginLimiter: new LoginLimiter(), logger }, config.origins);
	let app: AppHandler | null = null;

	const httpServer = http.createServer((req, res) => {
		const path = (req.url ?? '/').split('?')[0];
		if (path === '/healthz') {
			res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
			res.end(JSON.stringify({ status: 'ok', ...sync.stats }));
		} else if (path === TRPC_PREFIX || path.startsWith(TRPC_PREFIX + '/')) {
			api(req, res);
		} else if (app) {
			app(req, res, () => res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found'));
		} else {
			res.writeHead(503, { 'content-type': 'text/plain' }).end('The app is not built: run `npm run build`.');
		}
	});
	httpServer.on('clientError', (_error, socket) => socket.destroy());
	httpServer.on('upgrade', (req, socket, head) => {
		// Other upgrade listeners (Vite's HMR in development) handle their own paths; alone, we answer everything.
		if ((req.url ?? '').startsWith(SYNC_PATH_PREFIX) || httpServer.listenerCount('upgrade') === 1) {
			void sync.handleUpgrade(req, socket, head);
		}
	});
	const sweep = setInterval(() => void store.deleteExpiredSessions(Date.now()), 60 * 60 * 1000);
	sweep.unref();

	let closing: Promise<void> | null = null;
	return {
		httpServer,
		logger,
		store,
		metrics,
		setAppHandler(handler) {
			app = handler;
		},
		listen() {
			return new Promise((resolve, reject) => {
				httpServer.once('error', reject);
				httpServer.listen(config.port, config.host, () => {
					const port = (httpServer.address() as AddressInfo).port;
					logger.info({ port, dataDir: config.dataDir }, 'listening');
					resolve(port);
				});
			});
		},
		close() {
			closing ??= (async () => {
				clearInterval(sweep);
				const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
				await sync.close();
				httpServer.closeIdleConnections();
				await Promise.race([stopped, new Promise((r) => setTimeout(r, config.shutdownTimeoutMs).unref())]);
				httpServer.closeAllConnections();
				await store.close();
				logger.info('stopped');
			})();
			return closing;
		}
	};
}
