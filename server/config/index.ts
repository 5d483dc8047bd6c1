import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting the process reads, parsed once. A wrong value stops start-up with a message
 * naming the variable; nothing else in server/ reads process.env.
 */
const count = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

const schema = z.object({
	/** `production` refuses unsafe defaults (a key file created next to the data, the demo clinic). */
	NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
	PORT: z.coerce.number().int().min(0).max(65535).default(3000),
	HOST: z.string().min(1).default('0.0.0.0'),
	/** The public origin(s) of the app, comma-separated; websocket cookies count only from these or from the request's own host. */
	ORIGIN: z
		.string()
		.optional()
		.transform((value, ctx) => {
			if (!value) return [];
			const origins: string[] = [];
			for (const part of value
				.split(',')
				.map((s) => s.trim())
				.filter(Boolean)) {
				try {
					origins.push(new URL(part).origin);
				} catch {
					ctx.addIssue({ code: 'custom', message: `not a URL: ${part}` });
				}
			}
			return origins;
		}),
	DATA_DIR: z.string().min(1).default('./data'),
	APP_MASTER_KEY: z
		.string()
		.optional()
		.refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, 'must be base64 of exactly 32 bytes'),
	APP_MASTER_KEY_FILE: z.string().min(1).optional(),
	LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
	/**
	 * How many reverse proxies stand in front of the server: the client address is read that many hops from the
	 * right of `X-Forwarded-For`. 0 (default) ignores the header, which any client can forge.
	 */
	TRUST_PROXY: z
		.string()
		.default('0')
		.transform((v, ctx) => {
			if (v === 'false') return 0;
			if (v === 'true') return 1;
			const n = Number(v);
			if (!Number.isInteger(n) || n < 0 || n > 10) ctx.addIssue({ code: 'custom', message: 'must be true, false or 0–10' });
			return n;
		}),
	/** Bearer token for `/metrics`; unset, `/metrics` answers only direct requests from this machine (loopback). */
	METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
	/** Largest HTTP request body (tRPC); larger ones are refused with 413 without being read. */
	HTTP_MAX_BODY_BYTES: count(64 * KiB, 1024),
	/** Sync tickets one session may mint per minute. */
	SYNC_TICKETS_PER_MINUTE: count(120),
	/** Largest websocket message accepted; larger ones close that socket (1009). Devices split what they send below it. */
	SYNC_MAX_MESSAGE_BYTES: count(4 * MiB, MiB),
	/** Bytes waiting to be sent to one socket (a peer that does not read); past it the socket closes with 1013. */
	SYNC_MAX_BUFFERED_BYTES: count(8 * MiB, 64 * KiB),
	/** Bytes of messages one socket may send while its doc is still loading. */
	SYNC_MAX_BACKLOG_BYTES: count(8 * MiB, 64 * KiB),
	/** Largest awareness (presence) state of one client, as JSON. */
	SYNC_MAX_AWARENESS_STATE_BYTES: count(64 * KiB, 1024),
	/** Awareness client ids one socket may introduce (the stock client uses one). */
	SYNC_MAX_AWARENESS_CLIENTS: count(4),
	/** Sync-step-1 and query-awareness messages one socket may send per minute, each (bursts of 10). */
	SYNC_QUERIES_PER_MINUTE: count(60),
	/**
	 * Docs one session may hold open at once: sockets of `/sync/<doc>` (Chromium opens at most 255 per profile) and
	 * channels of multiplexed sockets together.
	 */
	SYNC_MAX_SOCKETS_PER_SESSION: count(512),
	/** Open sockets one session may hold on one doc (one per tab). */
	SYNC_MAX_SOCKETS_PER_SESSION_DOC: count(16),
	/** Docs one multiplexed socket (`/sync`) may carry at once; each also counts as a socket of its session. */
	SYNC_MAX_DOCS_PER_MUX: count(400),
	/**
	 * Ping interval; a socket that has not answered the previous ping is cut. Short, because a device whose network
	 * is gone cannot close its socket: this is how soon its colleagues stop seeing it on their pages.
	 */
	SYNC_PING_INTERVAL_MS: count(5_000, 100),
	/** Docs one clinic may store; past it new docs are refused (4507). */
	CLINIC_MAX_DOCS: count(200_000),
	/** Stored bytes one clinic may use; past it writes are refused (4507). */
	CLINIC_MAX_STORED_BYTES: count(10 * GiB, MiB),
	/** Share of a clinic quota after which a warning is logged and the gauge shows it. */
	QUOTA_WARN_RATIO: z.coerce.number().gt(0).max(1).default(0.8),
	/** A session not used for this many days ends (a lost tablet does not stay signed in for the full 30 days). */
	SESSION_IDLE_DAYS: z.coerce.number().int().min(1).max(30).default(14),
	/** How long an invitation link to set a password stays valid. */
	INVITATION_TTL_HOURS: z.coerce
		.number()
		.int()
		.min(1)
		.max(24 * 30)
		.default(72),
	/** How often open sockets re-check their session (revocations made by other processes). */
	SESSION_RECHECK_MS: z.coerce.number().int().min(100).default(15_000),
	/** Stored updates of a doc after which its log is compacted into a snapshot. */
	COMPACT_AFTER_UPDATES: z.coerce.number().int().min(2).default(500),
	// How often the reminder job looks for appointment reminders that are due.
	REMINDER_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
	/** Seed a demo clinic when the store has no clinic yet; default: outside production only. */
	DEMO_CLINIC: z.enum(['true', 'false']).optional(),
	SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
	/** Meta app secret: signs every webhook (`X-Hub-Signature-256`). Unset, `POST /webhooks/meta` refuses everything. */
	META_APP_SECRET: z.string().min(1).optional(),
	/** What Meta's verification handshake must present as `hub.verify_token`. */
	META_VERIFY_TOKEN: z.string().min(1).optional(),
	/** The Graph API (a local fake in tests). */
	META_GRAPH_URL: z.url().default('https://graph.facebook.com'),
	META_GRAPH_VERSION: z
		.string()
		.regex(/^v\d+\.\d+$/, 'must look like v21.0')
		.default('v21.0'),
	/** Twilio's auth token: signs voice callbacks (`X-Twilio-Signature`) and fetches recordings. */
	TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
	TWILIO_API_URL: z.url().default('https://api.twilio.com'),
	/** The address providers call (Twilio signs it); default: the first of ORIGIN. */
	PUBLIC_ORIGIN: z.url().optional(),
	/** Largest webhook body (Meta, Twilio); larger ones get 413 and are not read. */
	WEBHOOK_MAX_BODY_BYTES: count(256 * KiB, 1024),
	/** Largest website-form body. */
	FORM_MAX_BODY_BYTES: count(16 * KiB, 1024),
	/** Form submissions one address may make per minute (429 past it). */
	FORMS_PER_MINUTE: count(5),
	/** The Google OAuth client of the clinic's deployment (Google Cloud console); unset, calendars cannot be connected. */
	GOOGLE_CLIENT_ID: z.string().min(1).optional(),
	GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
	/** Google's API root (the Calendar API is under `calendar/v3/`); a local fake in tests. */
	GOOGLE_API_ROOT: z.url().default('https://www.googleapis.com/'),
	GOOGLE_OAUTH_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),
	GOOGLE_OAUTH_AUTH_URL: z.url().default('https://accounts.google.com/o/oauth2/v2/auth'),
	/** How often the calendars are looked at without a notification (missed pushes, channel renewals, retries). */
	CALENDAR_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
	/** First wait after a failed call to Google (429, 5xx, network); doubled per failure up to 15 minutes. */
	CALENDAR_RETRY_BASE_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
	/** How long before a push channel expires it is renewed. */
	CALENDAR_CHANNEL_RENEW_MS: z.coerce
		.number()
		.int()
		.min(1000)
		.default(24 * 60 * 60 * 1000),
	/**
	 * Push notifications (`POST /webhooks/google/calendar`) one client address may send per minute (429 past it).
	 * Google sends one per calendar change; each costs a store lookup.
	 */
	CALENDAR_NOTIFICATIONS_PER_MINUTE: count(300),
	/** Where a form may send the visitor back to (comma-separated URLs, compared by origin and path). */
	FORM_REDIRECTS: z
		.string()
		.optional()
		.transform((value, ctx) => {
			const urls: string[] = [];
			for (const part of (value ?? '')
				.split(',')
				.map((s) => s.trim())
				.filter(Boolean)) {
				try {
					const url = new URL(part);
					urls.push(url.origin + url.pathname);
				} catch {
					ctx.addIssue({ code: 'custom', message: `not a URL: ${part}` });
				}
			}
			return urls;
		})
});

/** What the channels need from the environment (server/channels). Secrets are null when unset. */
export interface ChannelSettings {
	metaAppSecret: string | null;
	metaVerifyToken: string | null;
	metaGraphUrl: string;
	metaGraphVersion: string;
	twilioAuthToken: string | null;
	twilioApiUrl: string;
	publicOrigin: string | null;
	webhookMaxBodyBytes: number;
	formMaxBodyBytes: number;
	formsPerMinute: number;
	formRedirects: string[];
}

/** Google Calendar (server/calendar). */
export interface CalendarSettings {
	clientId: string | null;
	clientSecret: string | null;
	apiRoot: string;
	tokenUrl: string;
	authUrl: string;
	/** Where Google sends push notifications and OAuth answers: PUBLIC_ORIGIN (default: the first of ORIGIN). */
	publicOrigin: string | null;
	intervalMs: number;
	retryBaseMs: number;
	channelRenewMs: number;
	/** Push notifications one client address may send per minute (CALENDAR_NOTIFICATIONS_PER_MINUTE). */
	notificationsPerMinute: number;
}

/** Every bound a sync client runs into; each one hit is logged and counted (`frontdesk_limit_hits_total`). */
export interface SyncLimits {
	maxMessageBytes: number;
	maxBufferedBytes: number;
	maxBacklogBytes: number;
	maxAwarenessStateBytes: number;
	maxAwarenessClients: number;
	queriesPerMinute: number;
	maxSocketsPerSession: number;
	maxSocketsPerSessionDoc: number;
	maxDocsPerMux: number;
	pingIntervalMs: number;
	clinicMaxDocs: number;
	clinicMaxStoredBytes: number;
	quotaWarnRatio: number;
}

export interface Config {
	production: boolean;
	port: number;
	host: string;
	origins: string[];
	dataDir: string;
	masterKey: { kind: 'env'; base64: string } | { kind: 'file'; path: string };
	logLevel: z.infer<typeof schema>['LOG_LEVEL'];
	trustProxy: number;
	metricsToken: string | null;
	httpMaxBodyBytes: number;
	syncTicketsPerMinute: number;
	sync: SyncLimits;
	sessionRecheckMs: number;
	sessionIdleMs: number;
	invitationTtlMs: number;
	compactAfterUpdates: number;
	/** How often due appointment reminders are looked for (REMINDER_INTERVAL_MS). */
	reminderIntervalMs: number;
	demoClinic: boolean;
	shutdownTimeoutMs: number;
	channels: ChannelSettings;
	calendar: CalendarSettings;
}

export class ConfigError extends Error {
	override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
	const parsed = schema.safeParse(env);
	if (!parsed.success) {
		const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
		throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
	}
	const c = parsed.data;
	const dataDir = path.resolve(c.DATA_DIR);
	const production = c.NODE_ENV === 'production';
	return {
		production,
		port: c.PORT,
		host: c.HOST,
		origins: c.ORIGIN,
		dataDir,
		masterKey: c.APP_MASTER_KEY
			? { kind: 'env', base64: c.APP_MASTER_KEY }
			: { kind: 'file', path: path.resolve(c.APP_MASTER_KEY_FILE ?? path.join(dataDir, 'master.key')) },
		logLevel: c.LOG_LEVEL,
		trustProxy: c.TRUST_PROXY,
		metricsToken: c.METRICS_TOKEN ?? null,
		httpMaxBodyBytes: c.HTTP_MAX_BODY_BYTES,
		syncTicketsPerMinute: c.SYNC_TICKETS_PER_MINUTE,
		sync: {
			maxMessageBytes: c.SYNC_MAX_MESSAGE_BYTES,
			maxBufferedBytes: c.SYNC_MAX_BUFFERED_BYTES,
			maxBacklogBytes: c.SYNC_MAX_BACKLOG_BYTES,
			maxAwarenessStateBytes: c.SYNC_MAX_AWARENESS_STATE_BYTES,
			maxAwarenessClients: c.SYNC_MAX_AWARENESS_CLIENTS,
			queriesPerMinute: c.SYNC_QUERIES_PER_MINUTE,
			maxSocketsPerSession: c.SYNC_MAX_SOCKETS_PER_SESSION,
			maxSocketsPerSessionDoc: c.SYNC_MAX_SOCKETS_PER_SESSION_DOC,
			maxDocsPerMux: c.SYNC_MAX_DOCS_PER_MUX,
			pingIntervalMs: c.SYNC_PING_INTERVAL_MS,
			clinicMaxDocs: c.CLINIC_MAX_DOCS,
			clinicMaxStoredBytes: c.CLINIC_MAX_STORED_BYTES,
			quotaWarnRatio: c.QUOTA_WARN_RATIO
		},
		sessionRecheckMs: c.SESSION_RECHECK_MS,
		sessionIdleMs: c.SESSION_IDLE_DAYS * 24 * 60 * 60 * 1000,
		invitationTtlMs: c.INVITATION_TTL_HOURS * 60 * 60 * 1000,
		compactAfterUpdates: c.COMPACT_AFTER_UPDATES,
		reminderIntervalMs: c.REMINDER_INTERVAL_MS,
		demoClinic: c.DEMO_CLINIC === undefined ? !production : c.DEMO_CLINIC === 'true',
		shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
		channels: {
			metaAppSecret: c.META_APP_SECRET ?? null,
			metaVerifyToken: c.META_VERIFY_TOKEN ?? null,
			metaGraphUrl: c.META_GRAPH_URL.replace(/\/+$/, ''),
			metaGraphVersion: c.META_GRAPH_VERSION,
			twilioAuthToken: c.TWILIO_AUTH_TOKEN ?? null,
			twilioApiUrl: c.TWILIO_API_URL.replace(/\/+$/, ''),
			publicOrigin: c.PUBLIC_ORIGIN ? new URL(c.PUBLIC_ORIGIN).origin : (c.ORIGIN[0] ?? null),
			webhookMaxBodyBytes: c.WEBHOOK_MAX_BODY_BYTES,
			formMaxBodyBytes: c.FORM_MAX_BODY_BYTES,
			formsPerMinute: c.FORMS_PER_MINUTE,
			formRedirects: c.FORM_REDIRECTS
		},
		calendar: {
			clientId: c.GOOGLE_CLIENT_ID ?? null,
			clientSecret: c.GOOGLE_CLIENT_SECRET ?? null,
			apiRoot: c.GOOGLE_API_ROOT.endsWith('/') ? c.GOOGLE_API_ROOT : `${c.GOOGLE_API_ROOT}/`,
			tokenUrl: c.GOOGLE_OAUTH_TOKEN_URL,
			authUrl: c.GOOGLE_OAUTH_AUTH_URL,
			publicOrigin: c.PUBLIC_ORIGIN ? new URL(c.PUBLIC_ORIGIN).origin : (c.ORIGIN[0] ?? null),
			intervalMs: c.CALENDAR_INTERVAL_MS,
			retryBaseMs: c.CALENDAR_RETRY_BASE_MS,
			channelRenewMs: c.CALENDAR_CHANNEL_RENEW_MS,
			notificationsPerMinute: c.CALENDAR_NOTIFICATIONS_PER_MINUTE
		}
	};
}
