import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Accounts, Invitations, LoginLimiter, Sessions, StaffAdmin, SyncTickets, TicketLimiter } from './auth/index.ts';
import { createApiHandler, TRPC_PREFIX } from './api/index.ts';
import type { Config } from './config/index.ts';
import { openStoreAndKeys } from './boot.ts';
import { declaredTooLarge, refuseTooLarge } from './http/bodyLimit.ts';
import { registerSyncGauges, serveMetrics } from './http/metricsEndpoint.ts';
import { API_CSP, defaultAppCsp, setSecurityHeaders } from './http/securityHeaders.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { demoSignIn, seedDemoClinic } from './seed/demoClinic.ts';
import type { Store } from './store/index.ts';
import { SyncServer } from './sync/index.ts';
import { clinicNameMirror } from './clinic/clinicNameMirror.ts';
import { createChannels } from './channels/index.ts';
import { InboxAutomation } from './automation/inboxAutomation.ts';
import { ReminderAnswers } from './jobs/reminderAnswers.ts';
import { ReminderJob } from './jobs/reminders.ts';
import { CalendarSync, CALENDAR_WEBHOOK_PATH } from './calendar/CalendarSync.ts';
import { CalendarConnections, OAUTH_CALLBACK_PATH } from './calendar/connections.ts';
import { declaresBody, handleCalendarHttp, notificationLimiter } from './calendar/http.ts';
import { HeldDocs } from './channels/heldDocs.ts';
import { SYNC_MUX_PATH, SYNC_PATH_PREFIX } from '../src/lib/domain/syncProtocol.ts';
import { errorMessage } from './errors.ts';

/** The SvelteKit app (adapter-node's handler in production, Vite's middlewares in development). */
export type AppHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface Frontdesk {
	readonly httpServer: http.Server;
	readonly logger: Logger;
	readonly store: Store;
	readonly metrics: Metrics;
	setAppHandler(handler: AppHandler): void;
	/** The demo admin's sign-in while it still has its first password (printed by `npm start`). */
	demoSignIn(): Promise<{ email: string; password: string } | null>;
	listen(): Promise<number>;
	close(): Promise<void>;
}

/** Composes the process: config → store → keys → auth → sync → API → one HTTP server on one port. */
export async function createFrontdesk(config: Config): Promise<Frontdesk> {
	const logger = createLogger(config.logLevel);
	const metrics = createMetrics();
	const { store, keyring } = await openStoreAndKeys(config);

	const sessions = new Sessions(store, Date.now, config.sessionIdleMs);
	const tickets = new SyncTickets(store);
	const accounts = new Accounts(store, keyring);
	const channels = createChannels({
		settings: config.channels,
		store,
		keyring,
		sync: () => sync,
		sessions,
		logger,
		metrics,
		trustProxy: config.trustProxy,
		// Assignment and the away message run after each inbound write is durable, never holding up a webhook.
		automation: {
			onInbound: (notice) => Promise.all([automation.onInbound(notice), answers.onInbound(notice)]).then(() => undefined)
		}
	});
	// Through the channels' held docs: reading the directory per message must not unload and reload it each time.
	const automation = new InboxAutomation({ docs: channels.docs, store, logger });
	// A patient's answer to a reminder confirms or cancels the appointment; the job sends the reminders.
	const answers = new ReminderAnswers({ docs: channels.docs, store, logger });
	const reminders = new ReminderJob({
		docs: channels.docs,
		store,
		canSend: async (clinicId) => (await channels.accounts.sender(clinicId, 'whatsapp')) !== null,
		logger,
		intervalMs: config.reminderIntervalMs
	});
	// Google Calendar: its own held docs (the months it pushes and writes stay loaded between calls).
	const calendarDocs = new HeldDocs({ open: (docName, origin) => sync.open(docName, origin) });
	const calendar = new CalendarSync({
		store,
		keyring,
		docs: calendarDocs,
		settings: config.calendar,
		logger,
		registry: metrics.registry
	});
	const calendarConnections = new CalendarConnections({
		settings: config.calendar,
		store,
		sync: calendar,
		docs: calendarDocs,
		logger
	});
	const calendarNotifications = notificationLimiter(config.calendar.notificationsPerMinute);
	const sync: SyncServer = new SyncServer({
		hooks: [clinicNameMirror(store, () => sync, logger), ...channels.hooks, automation, calendar],
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
	if (config.demoClinic && (await store.clinics.count()) === 0) await seedDemoClinic(accounts, sync, config, { store, keyring });
	const api = createApiHandler(
		{
			accounts,
			sessions,
			staff: new StaffAdmin(store, accounts, sessions, { invitationTtlMs: config.invitationTtlMs }),
			invitations: new Invitations(store, accounts, sessions),
			docs: sync,
			channels: channels.accounts,
			calendar: calendarConnections,
			tickets,
			loginLimiter: new LoginLimiter(),
			ticketLimiter: new TicketLimiter(config.syncTicketsPerMinute),
			logger,
			metrics
		},
		{ origins: config.origins, trustProxy: config.trustProxy, maxBodyBytes: config.httpMaxBodyBytes }
	);
	registerSyncGauges(metrics, () => sync.stats);
	// Replies left queued by an earlier run (or written offline and stored before it stopped) are sent now.
	channels.start().catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'starting the dispatcher failed'));
	reminders.start();
	calendar.start().catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'starting the calendar sync failed'));
	let app: AppHandler | null = null;

	const handle = (req: IncomingMessage, res: ServerResponse) => {
		const path = (req.url ?? '/').split('?')[0];
		setSecurityHeaders(req, res, config.trustProxy);
		const isApi = path === TRPC_PREFIX || path.startsWith(TRPC_PREFIX + '/');
		if (isApi) {
			res.setHeader('Content-Security-Policy', API_CSP);
			void api(req, res);
			return;
		}
		if (path === CALENDAR_WEBHOOK_PATH || path === OAUTH_CALLBACK_PATH) {
			res.setHeader('Content-Security-Policy', API_CSP);
			handleCalendarHttp(req, res, path, {
				sync: calendar,
				connections: calendarConnections,
				sessions,
				logger,
				metrics,
				trustProxy: config.trustProxy,
				notifications: calendarNotifications
			});
			return;
		}
		// Webhooks, forms and media: their own body bounds, no Origin check (providers and visitors' browsers call
		// them), the security headers above.
		if (path.startsWith('/webhooks/') || path.startsWith('/forms/') || path.startsWith('/media/')) {
			res.setHeader('Content-Security-Policy', API_CSP);
			if (channels.handle(req, res, path)) return;
		}
		// Nothing else takes a body this large (the app's own limit is adapter-node's BODY_SIZE_LIMIT).
		if (declaredTooLarge(req, config.httpMaxBodyBytes)) {
			metrics.limitHits.inc({ limit: 'http_max_body_bytes' });
			logger.warn({ path, declared: true, limit: config.httpMaxBodyBytes }, 'request body over the limit');
			res.setHeader('Content-Security-Policy', API_CSP);
			refuseTooLarge(req, res, config.httpMaxBodyBytes);
		} else if (path === '/healthz') {
			res.setHeader('Content-Security-Policy', API_CSP);
			res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
			res.end(JSON.stringify({ status: 'ok' }));
		} else if (path === '/metrics') {
			res.setHeader('Content-Security-Policy', API_CSP);
			serveMetrics(req, res, metrics, config.metricsToken).catch((error: unknown) => {
				logger.error({ err: errorMessage(error) }, 'metrics failed');
				if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
				res.end();
			});
		} else if (app) {
			defaultAppCsp(res);
			app(req, res, () => {
				res.setHeader('Content-Security-Policy', API_CSP);
				res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
			});
		} else {
			res.setHeader('Content-Security-Policy', API_CSP);
			res.writeHead(503, { 'content-type': 'text/plain' }).end('The app is not built: run `npm run build`.');
		}
	};
	const httpServer = http.createServer(handle);
	// `Expect: 100-continue`: a body over the limit is refused before the client sends it.
	httpServer.on('checkContinue', (req, res) => {
		const path = (req.url ?? '/').split('?')[0];
		// Webhooks and forms have bounds of their own (CHAN-HTTP-1).
		const limit = path.startsWith('/webhooks/')
			? config.channels.webhookMaxBodyBytes
			: path.startsWith('/forms/')
				? config.channels.formMaxBodyBytes
				: config.httpMaxBodyBytes;
		// A calendar notification and the consent answer have no body at all (SCHEDULE-GOOGLE-9, -11).
		const bodiless = path === CALENDAR_WEBHOOK_PATH || path === OAUTH_CALLBACK_PATH;
		if (bodiless ? !declaresBody(req) : !declaredTooLarge(req, limit)) res.writeContinue();
		handle(req, res);
	});
	httpServer.on('clientError', (_error, socket) => socket.destroy());
	httpServer.on('upgrade', (req, socket, head) => {
		// Other upgrade listeners (Vite's HMR in development) handle their own paths; alone, we answer everything.
		const path = (req.url ?? '').split('?')[0];
		if (path === SYNC_MUX_PATH || path.startsWith(SYNC_PATH_PREFIX) || httpServer.listenerCount('upgrade') === 1) {
			void sync.handleUpgrade(req, socket, head);
		}
	});
	// Expired sessions and sync tickets are dead rows: swept every few minutes (tickets live 60 s).
	const sweep = setInterval(
		() =>
			void Promise.all([
				sessions.sweep(),
				store.tickets.deleteExpired(Date.now()),
				store.invitations.deleteExpired(Date.now())
			]).catch((error: unknown) => logger.error({ err: errorMessage(error) }, 'sweep failed')),
		5 * 60 * 1000
	);
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
		demoSignIn: () => demoSignIn(store, keyring, accounts),
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
				reminders.stop();
				calendar.stop();
				const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
				await channels.close();
				calendarDocs.releaseAll();
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
