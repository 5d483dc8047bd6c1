import type { calendar_v3 } from '@googleapis/calendar';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type GoogleEvent = calendar_v3.Schema$Event;
type EventTime = calendar_v3.Schema$EventDateTime;

/** One request the fake received; `status` is set once it is answered. */
export interface GoogleRequest {
	method: string;
	/** The path as sent, still URL-encoded (`/calendar/v3/calendars/a%40b.com/events`). */
	path: string;
	query: Record<string, string>;
	body: unknown;
	status?: number;
}

/** One push notification the fake delivered, with what the receiver answered (`null`: no answer). */
export interface NotificationDelivery {
	channelId: string;
	resourceId: string;
	resourceState: 'sync' | 'exists';
	messageNumber: number;
	address: string;
	status: number | null;
}

export interface GoogleChannel {
	id: string;
	resourceId: string;
	calendarId: string;
	address: string;
	token?: string;
	/** Milliseconds since the epoch. */
	expiration: number;
}

export interface GoogleAccount {
	refreshToken: string;
	/** Defaults to the Calendar scope. */
	scope?: string;
	/** The one with `primary: true` answers to `primary`; without one, the first. */
	calendars: { id: string; summary: string; primary?: boolean; timeZone?: string }[];
}

interface ApiError {
	status: number;
	reason: string;
	message: string;
	domain?: string;
	location?: { type: 'header' | 'parameter'; name: string };
}

interface Answer {
	status: number;
	body?: unknown;
	headers?: Record<string, string>;
}

interface StoredEvent {
	/** Creation order: pages walk it, so an event changed mid-listing keeps its place. */
	seq: number;
	/** The calendar's revision at this event's last change; sync tokens carry revisions. */
	revision: number;
	resource: GoogleEvent;
}

interface Calendar {
	id: string;
	summary: string;
	timeZone: string;
	revision: number;
	/** Bumped by invalidateSyncTokens: tokens of an earlier epoch answer 410. */
	epoch: number;
	updated: string;
	etag: string;
	resourceId: string;
	events: Map<string, StoredEvent>;
}

interface Account {
	refreshToken: string;
	scope: string;
	calendarIds: string[];
	primaryId: string;
}

interface Channel extends GoogleChannel {
	messageNumber: number;
	stopped: boolean;
	last?: Pending;
	/** The channel's deliveries so far: the next one starts when they have been answered. */
	queue: Promise<void>;
}

interface Pending {
	channel: Channel;
	state: 'sync' | 'exists';
	number: number;
}

/** What a listing continues from: sealed into page tokens so a page request needs nothing else. */
interface ListState {
	mode: 'full' | 'incremental';
	calendarId: string;
	epoch: number;
	/** Incremental: changes after this revision. */
	base: number;
	/** The revision when the listing began: the last page's nextSyncToken. */
	snapshot: number;
	after: number;
	showDeleted: boolean;
	timeMin?: number;
	timeMax?: number;
}

const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
const MAX_BODY = 1024 * 1024;
const ACCESS_TOKEN_SECONDS = 3599;
const DEFAULT_CHANNEL_TTL = 604_800;
/** Base32hex, lowercase: the alphabet Google allows in event ids. */
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
/** Fields Google computes itself; a client sending them is ignored. */
const READ_ONLY = ['kind', 'etag', 'id', 'htmlLink', 'created', 'updated', 'creator', 'organizer', 'iCalUID'];

/** Google's wording for the errors tests ask for by reason. */
const KNOWN_REASONS: Record<string, { domain: string; message: string }> = {
	rateLimitExceeded: { domain: 'usageLimits', message: 'Rate Limit Exceeded' },
	userRateLimitExceeded: { domain: 'usageLimits', message: 'User Rate Limit Exceeded' },
	quotaExceeded: { domain: 'usageLimits', message: 'Calendar usage limits exceeded.' },
	backendError: { domain: 'global', message: 'Backend Error' }
};

/** The canonical status names Google puts beside the HTTP code. */
const STATUS_NAMES: Record<number, string> = {
	400: 'INVALID_ARGUMENT',
	401: 'UNAUTHENTICATED',
	403: 'PERMISSION_DENIED',
	404: 'NOT_FOUND',
	409: 'ALREADY_EXISTS',
	410: 'FAILED_PRECONDITION',
	412: 'FAILED_PRECONDITION',
	413: 'INVALID_ARGUMENT',
	429: 'RESOURCE_EXHAUSTED',
	500: 'INTERNAL',
	503: 'UNAVAILABLE'
};

const notFound = (): ApiError => ({ status: 404, reason: 'notFound', message: 'Not Found' });
const invalid = (message: string, parameter?: string): ApiError => ({
	status: 400,
	reason: 'invalid',
	message,
	...(parameter ? { location: { type: 'parameter', name: parameter } } : {})
});
const isError = (value: unknown): value is ApiError =>
	typeof value === 'object' && value !== null && 'reason' in value && 'status' in value;

/**
 * A local stand-in for Google Calendar API v3 and Google's OAuth 2.0 endpoints, speaking their documented HTTP so
 * that the real `@googleapis/calendar` client and `google-auth-library` can be pointed at it: `rootUrl: url + '/'`,
 * token endpoint `url + '/token'`, consent page `url + '/o/oauth2/v2/auth'`, revocation `url + '/revoke'`.
 * Events, sync tokens, etags and push channels live in memory; every request is kept in `requests`.
 */
export class FakeGoogle {
	readonly requests: GoogleRequest[] = [];
	/** The query of every consent page visit. */
	readonly consents: Record<string, string>[] = [];
	readonly deliveries: NotificationDelivery[] = [];
	/** Overrides every watch's ttl (seconds), for tests of channel renewal. */
	channelTtlSeconds: number | undefined;
	url = '';

	readonly #server: http.Server;
	/** Seals page and sync tokens: a token from elsewhere, or edited, is not one of ours. */
	readonly #tokenKey = randomBytes(32);
	readonly #accounts: Account[] = [];
	readonly #refreshTokens = new Map<string, Account>();
	readonly #accessTokens = new Map<string, { account: Account; refreshToken: string; expiresAt: number }>();
	readonly #codes = new Map<string, { refreshToken: string; redirectUri?: string; offline: boolean; scope?: string }>();
	readonly #usedCodes = new Set<string>();
	readonly #calendars = new Map<string, Calendar>();
	readonly #channels = new Map<string, Channel>();
	readonly #failures: ApiError[] = [];
	readonly #inFlight = new Set<http.ClientRequest>();
	#held: Pending[] | null = null;
	#closed = false;
	#gate: Promise<void> | null = null;
	#openGate: (() => void) | null = null;
	#seq = 0;
	#lastEtag = 0;
	#requestWaiters: (() => void)[] = [];
	#deliveryWaiters: (() => void)[] = [];

	private constructor() {
		this.#server = http.createServer((req, res) => void this.#handle(req, res));
	}

	static async start(): Promise<FakeGoogle> {
		const fake = new FakeGoogle();
		await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
		fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
		return fake;
	}

	// ---- Accounts and OAuth ----

	/** A Google account whose refresh token reaches its calendars (a calendar id seen before is shared). */
	addAccount(account: GoogleAccount): void {
		if (account.calendars.length === 0) throw new Error('an account has at least its primary calendar');
		for (const c of account.calendars) {
			if (this.#calendars.has(c.id)) continue;
			this.#calendars.set(c.id, {
				id: c.id,
				summary: c.summary,
				timeZone: c.timeZone ?? 'UTC',
				revision: 0,
				epoch: 0,
				updated: new Date().toISOString(),
				etag: this.#newEtag(),
				resourceId: randomBytes(14).toString('base64url'),
				events: new Map()
			});
		}
		const stored: Account = {
			refreshToken: account.refreshToken,
			scope: account.scope ?? CALENDAR_SCOPE,
			calendarIds: account.calendars.map((c) => c.id),
			primaryId: (account.calendars.find((c) => c.primary) ?? account.calendars[0]).id
		};
		this.#accounts.push(stored);
		this.#refreshTokens.set(account.refreshToken, stored);
	}

	/** `code` exchanges once at `/token` for `refreshToken` (with any redirect_uri). */
	addAuthorizationCode(code: string, refreshToken: string): void {
		this.#codes.set(code, { refreshToken, offline: true });
	}

	/** As when the user removes the app's access: the refresh token and its access tokens stop working. */
	revokeRefreshToken(refreshToken: string): void {
		this.#refreshTokens.delete(refreshToken);
		for (const [token, access] of this.#accessTokens) if (access.refreshToken === refreshToken) this.#accessTokens.delete(token);
	}

	/** Every access token issued so far now answers 401, though the client still believes it valid. */
	expireAccessTokens(): void {
		for (const access of this.#accessTokens.values()) access.expiresAt = 0;
	}

	// ---- Events, as a person in Google Calendar's own UI would change them ----

	createEvent(calendarId: string, fields: GoogleEvent): GoogleEvent {
		return structuredClone(this.#orThrow(this.#insert(this.#calendarOrThrow(calendarId), fields)));
	}

	/** Patch semantics, as the API's PATCH. */
	updateEvent(calendarId: string, eventId: string, fields: GoogleEvent): GoogleEvent {
		return structuredClone(this.#orThrow(this.#write(this.#calendarOrThrow(calendarId), eventId, fields, 'patch')));
	}

	deleteEvent(calendarId: string, eventId: string): void {
		this.#orThrow(this.#delete(this.#calendarOrThrow(calendarId), eventId));
	}

	/** The calendar's events now, in creation order (deleted ones only when asked). */
	events(calendarId: string, options: { includeDeleted?: boolean } = {}): GoogleEvent[] {
		return [...this.#calendarOrThrow(calendarId).events.values()]
			.sort((a, b) => a.seq - b.seq)
			.filter((e) => options.includeDeleted || e.resource.status !== 'cancelled')
			.map((e) => structuredClone(e.resource));
	}

	/** Every sync token issued so far for this calendar answers 410 `fullSyncRequired` (as when Google expires them). */
	invalidateSyncTokens(calendarId: string): void {
		this.#calendarOrThrow(calendarId).epoch++;
	}

	// ---- Faults and timing ----

	/** The next `count` calendar API requests answer this error (429/403 rateLimitExceeded, 500 backendError…). */
	failNext(count: number, status: number, reason?: string): void {
		const why = reason ?? (status === 429 || status === 403 ? 'rateLimitExceeded' : 'backendError');
		const known = KNOWN_REASONS[why];
		const message = status === 503 && why === 'backendError' ? 'The service is currently unavailable.' : (known?.message ?? why);
		for (let i = 0; i < count; i++) this.#failures.push({ status, reason: why, message, domain: known?.domain ?? 'global' });
	}

	/** Calendar API requests are received (and recorded) but wait until `release()`: a server killed mid-sync. */
	pause(): () => void {
		if (!this.#gate) this.#gate = new Promise((resolve) => (this.#openGate = resolve));
		return () => this.#release();
	}

	#release(): void {
		this.#openGate?.();
		this.#gate = null;
		this.#openGate = null;
	}

	/** Resolves once `n` requests matching `match` have been received (answered or not). */
	async whenRequests(n: number, match: (r: GoogleRequest) => boolean = () => true): Promise<void> {
		while (this.requests.filter(match).length < n) await new Promise<void>((resolve) => this.#requestWaiters.push(resolve));
	}

	// ---- Push notifications ----

	/** Live channels: created, not stopped, not expired. */
	get channels(): GoogleChannel[] {
		return [...this.#channels.values()]
			.filter((c) => this.#isLive(c))
			.map(({ id, resourceId, calendarId, address, token, expiration }) => ({
				id,
				resourceId,
				calendarId,
				address,
				expiration,
				...(token === undefined ? {} : { token })
			}));
	}

	/** Notifications from now on are kept back until `releaseNotifications`. */
	holdNotifications(): void {
		this.#held ??= [];
	}

	/** Sends the held notifications one after another (each twice with `duplicate`); resolves once all were answered. */
	async releaseNotifications(options: { order?: 'sent' | 'reversed'; duplicate?: boolean } = {}): Promise<void> {
		const held = this.#held ?? [];
		this.#held = null;
		if (options.order === 'reversed') held.reverse();
		for (const pending of held) {
			await this.#deliver(pending);
			if (options.duplicate) await this.#deliver(pending);
		}
	}

	/** Delivers the channel's last notification again, same message number (Google may deliver twice). */
	async resendLast(channelId: string): Promise<void> {
		const last = this.#channels.get(channelId)?.last;
		if (!last) throw new Error(`channel ${channelId} has sent nothing`);
		await this.#deliver(last);
	}

	/** Resolves once `n` deliveries have been answered (or failed). */
	async whenDelivered(n: number): Promise<void> {
		while (this.deliveries.length < n) await new Promise<void>((resolve) => this.#deliveryWaiters.push(resolve));
	}

	close(): Promise<void> {
		this.#closed = true;
		this.#release();
		for (const request of this.#inFlight) request.destroy();
		this.#server.closeAllConnections();
		return new Promise((resolve) => this.#server.close(() => resolve()));
	}

	// ---- HTTP ----

	async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://fake');
		const record: GoogleRequest = {
			method: req.method ?? 'GET',
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			body: null
		};
		this.requests.push(record);
		for (const wake of this.#requestWaiters.splice(0)) wake();
		const send = ({ status, body, headers = {} }: Answer) => {
			record.status = status;
			if (res.headersSent || res.destroyed) return;
			if (body === undefined) return void res.writeHead(status, headers).end();
			res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(body));
		};
		const raw = await readBody(req);
		if (raw === null)
			return send({
				...errorAnswer({ status: 413, reason: 'uploadTooLarge', message: 'Request Entity Too Large' }),
				headers: { connection: 'close' }
			});
		const path = url.pathname;
		if (path === '/token' && req.method === 'POST') {
			const form = new URLSearchParams(raw);
			record.body = Object.fromEntries(form);
			return send(this.#token(form));
		}
		if (path === '/revoke' && req.method === 'POST') {
			const form = new URLSearchParams(raw);
			record.body = Object.fromEntries(form);
			return send(this.#revoke(url.searchParams.get('token') ?? form.get('token') ?? ''));
		}
		if (path === '/o/oauth2/v2/auth' && req.method === 'GET') return send(this.#consent(url.searchParams));
		if (!path.startsWith('/calendar/v3/')) return send(errorAnswer(notFound()));

		let body: Record<string, unknown> = {};
		if (raw.length > 0) {
			try {
				const parsed: unknown = JSON.parse(raw);
				if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
				body = parsed as Record<string, unknown>;
			} catch {
				return send(errorAnswer({ status: 400, reason: 'parseError', message: 'Parse Error' }));
			}
		}
		record.body = raw.length > 0 ? body : null;
		while (this.#gate) await this.#gate;
		const failure = this.#failures.shift();
		if (failure) return send(errorAnswer(failure));
		const account = this.#authenticate(req.headers.authorization);
		if (isError(account)) return send(errorAnswer(account));
		const result = this.#calendarApi(account, req.method ?? 'GET', path, url.searchParams, body, req.headers);
		send(isError(result) ? errorAnswer(result) : result);
	}

	#calendarApi(
		account: Account,
		method: string,
		path: string,
		query: URLSearchParams,
		body: Record<string, unknown>,
		headers: http.IncomingHttpHeaders
	): Answer | ApiError {
		if (path === '/calendar/v3/users/me/calendarList' && method === 'GET')
			return { status: 200, body: this.#calendarList(account) };
		if (path === '/calendar/v3/channels/stop' && method === 'POST') return this.#stop(body);
		const match = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(path);
		if (!match) return notFound();
		const calendarParam = decodeURIComponent(match[1]);
		const calendar = this.#reach(account, calendarParam);
		if (isError(calendar)) return calendar;
		const eventId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
		const ifMatch = headers['if-match'];
		if (eventId === undefined) {
			if (method === 'GET') return this.#list(calendar, query);
			if (method === 'POST') return this.#answerEvent(this.#insert(calendar, body as GoogleEvent));
		} else if (eventId === 'watch' && method === 'POST') {
			return this.#watch(calendar, calendarParam, body as calendar_v3.Schema$Channel);
		} else {
			const current = calendar.events.get(eventId);
			if (!current) return notFound();
			if (method === 'GET') {
				if (headers['if-none-match'] === current.resource.etag) return { status: 304 };
				return { status: 200, body: current.resource };
			}
			if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current.resource.etag)
				return {
					status: 412,
					reason: 'conditionNotMet',
					message: 'Precondition Failed',
					location: { type: 'header', name: 'If-Match' }
				};
			if (method === 'PATCH') return this.#answerEvent(this.#write(calendar, eventId, body as GoogleEvent, 'patch'));
			if (method === 'PUT') return this.#answerEvent(this.#write(calendar, eventId, body as GoogleEvent, 'update'));
			if (method === 'DELETE') {
				const deleted = this.#delete(calendar, eventId);
				return isError(deleted) ? deleted : { status: 204 };
			}
		}
		return notFound();
	}

	#answerEvent(result: GoogleEvent | ApiError): Answer | ApiError {
		return isError(result) ? result : { status: 200, body: result };
	}

	// ---- OAuth endpoints ----

	#token(form: URLSearchParams): Answer {
		const oauthError = (error: string, description: string) => ({
			status: 400,
			body: { error, error_description: description }
		});
		if (!form.get('client_id')) return oauthError('invalid_request', 'Could not determine client ID from request.');
		const grant = form.get('grant_type');
		if (grant === 'refresh_token') {
			const refreshToken = form.get('refresh_token') ?? '';
			const account = this.#refreshTokens.get(refreshToken);
			if (!account) return oauthError('invalid_grant', 'Token has been expired or revoked.');
			return { status: 200, body: this.#issueAccessToken(account, refreshToken, account.scope) };
		}
		if (grant === 'authorization_code') {
			const code = form.get('code') ?? '';
			const bound = this.#codes.get(code);
			if (!bound) return oauthError('invalid_grant', this.#usedCodes.has(code) ? 'Bad Request' : 'Malformed auth code.');
			// Single use, even when the exchange then fails.
			this.#codes.delete(code);
			this.#usedCodes.add(code);
			if (bound.redirectUri !== undefined && bound.redirectUri !== form.get('redirect_uri'))
				return oauthError('redirect_uri_mismatch', 'Bad Request');
			const account = this.#refreshTokens.get(bound.refreshToken);
			if (!account) return oauthError('invalid_grant', 'Token has been expired or revoked.');
			const tokens = this.#issueAccessToken(account, bound.refreshToken, bound.scope ?? account.scope);
			// Google returns a refresh token only for offline access.
			return { status: 200, body: bound.offline ? { ...tokens, refresh_token: bound.refreshToken } : tokens };
		}
		return oauthError('unsupported_grant_type', `Invalid grant_type: ${grant ?? ''}`);
	}

	#issueAccessToken(account: Account, refreshToken: string, scope: string) {
		const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
		this.#accessTokens.set(accessToken, { account, refreshToken, expiresAt: Date.now() + ACCESS_TOKEN_SECONDS * 1000 });
		return { access_token: accessToken, expires_in: ACCESS_TOKEN_SECONDS, scope, token_type: 'Bearer' };
	}

	/** Revoking either token of a grant ends the whole grant, as Google's revocation does. */
	#revoke(token: string): Answer {
		const refreshToken = this.#refreshTokens.has(token) ? token : this.#accessTokens.get(token)?.refreshToken;
		if (refreshToken === undefined)
			return { status: 400, body: { error: 'invalid_token', error_description: 'Token expired or revoked' } };
		this.revokeRefreshToken(refreshToken);
		return { status: 200, body: {} };
	}

	/**
	 * The account the person signs in with on the next consent screens (as choosing it in Google's account picker);
	 * by default the first registered one.
	 */
	consentAs(refreshToken: string): void {
		this.#consentAccount = refreshToken;
	}

	#consentAccount: string | null = null;

	/** The user consents at once, as the chosen account (offline access: its refresh token). */
	#consent(query: URLSearchParams): Answer {
		this.consents.push(Object.fromEntries(query));
		const redirectUri = query.get('redirect_uri');
		if (!redirectUri || !query.get('client_id') || query.get('response_type') !== 'code' || !query.get('scope'))
			return { status: 400, body: { error: 'invalid_request' } };
		const target = new URL(redirectUri);
		const account = this.#accounts.find((a) => a.refreshToken === this.#consentAccount) ?? this.#accounts[0];
		if (!account) {
			target.searchParams.set('error', 'access_denied');
		} else {
			// Consenting again after a revocation grants anew: a new refresh token (a reconnect).
			if (!this.#refreshTokens.has(account.refreshToken)) {
				account.refreshToken = `1//0${randomBytes(24).toString('base64url')}`;
				this.#refreshTokens.set(account.refreshToken, account);
			}
			const code = `4/0${randomBytes(24).toString('base64url')}`;
			this.#codes.set(code, {
				refreshToken: account.refreshToken,
				redirectUri,
				offline: query.get('access_type') === 'offline',
				scope: query.get('scope') ?? undefined
			});
			target.searchParams.set('code', code);
			target.searchParams.set('scope', query.get('scope') ?? '');
		}
		const state = query.get('state');
		if (state !== null) target.searchParams.set('state', state);
		return { status: 302, headers: { location: target.toString() } };
	}

	#authenticate(authorization: string | undefined): Account | ApiError {
		const header = { type: 'header', name: 'Authorization' } as const;
		if (!authorization?.startsWith('Bearer '))
			return { status: 401, reason: 'required', message: 'Login Required.', location: header };
		const access = this.#accessTokens.get(authorization.slice('Bearer '.length));
		if (!access || access.expiresAt <= Date.now())
			return { status: 401, reason: 'authError', message: 'Invalid Credentials', location: header };
		return access.account;
	}

	// ---- Calendars ----

	#calendarList(account: Account) {
		return {
			kind: 'calendar#calendarList',
			etag: `"${this.#lastEtag}"`,
			items: account.calendarIds.map((id) => {
				const calendar = this.#calendars.get(id) as Calendar;
				return {
					kind: 'calendar#calendarListEntry',
					etag: calendar.etag,
					id,
					summary: calendar.summary,
					timeZone: calendar.timeZone,
					accessRole: 'owner',
					// Google leaves false booleans out.
					...(id === account.primaryId ? { primary: true } : {})
				};
			})
		};
	}

	#reach(account: Account, calendarParam: string): Calendar | ApiError {
		const id = calendarParam === 'primary' ? account.primaryId : calendarParam;
		const calendar = this.#calendars.get(id);
		if (!calendar) return notFound();
		if (!account.calendarIds.includes(id)) return { status: 403, reason: 'forbidden', message: 'Forbidden' };
		return calendar;
	}

	#calendarOrThrow(calendarId: string): Calendar {
		const calendar = this.#calendars.get(calendarId);
		if (!calendar) throw new Error(`no calendar ${calendarId}: addAccount first`);
		return calendar;
	}

	#orThrow<T>(result: T | ApiError): T {
		if (isError(result)) throw new Error(`${result.status} ${result.reason}: ${result.message}`);
		return result;
	}

	// ---- Event writes: each one bumps the calendar's revision and notifies its channels ----

	#insert(calendar: Calendar, fields: GoogleEvent): GoogleEvent | ApiError {
		const id = fields.id ?? newEventId();
		if (typeof id !== 'string' || !/^[a-v0-9]{5,1024}$/.test(id)) return invalid('Invalid resource id value.');
		if (calendar.events.has(id)) return { status: 409, reason: 'duplicate', message: 'The requested identifier already exists.' };
		const now = new Date().toISOString();
		const person = { email: calendar.id, self: true };
		const resource: GoogleEvent = {
			kind: 'calendar#event',
			etag: '',
			id,
			status: 'confirmed',
			htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${calendar.id}`).toString('base64url')}`,
			created: now,
			updated: now,
			creator: person,
			organizer: person,
			iCalUID: typeof fields.iCalUID === 'string' ? fields.iCalUID : `${id}@google.com`,
			sequence: 0,
			reminders: { useDefault: true },
			eventType: 'default',
			...mergePatch({}, writable(fields))
		};
		const bad = checkTimes(resource.start, resource.end, calendar.timeZone);
		if (bad) return bad;
		const stored: StoredEvent = { seq: ++this.#seq, revision: 0, resource };
		calendar.events.set(id, stored);
		this.#changed(calendar, stored);
		return resource;
	}

	#write(calendar: Calendar, eventId: string, fields: GoogleEvent, how: 'patch' | 'update'): GoogleEvent | ApiError {
		const stored = calendar.events.get(eventId);
		if (!stored) return notFound();
		const before = stored.resource;
		const kept = Object.fromEntries(READ_ONLY.map((key) => [key, (before as Record<string, unknown>)[key]]));
		const next = (
			how === 'patch'
				? mergePatch(before as Record<string, unknown>, writable(fields))
				: {
						status: 'confirmed',
						sequence: before.sequence,
						reminders: { useDefault: true },
						eventType: 'default',
						...mergePatch({}, writable(fields))
					}
		) as GoogleEvent;
		Object.assign(next, kept);
		const bad = checkTimes(next.start, next.end, calendar.timeZone);
		if (bad) return bad;
		// A new time is a new version of the invitation (RFC 5545's SEQUENCE).
		if (JSON.stringify([next.start, next.end]) !== JSON.stringify([before.start, before.end]) && fields.sequence === undefined)
			next.sequence = (before.sequence ?? 0) + 1;
		stored.resource = next;
		this.#changed(calendar, stored);
		return next;
	}

	#delete(calendar: Calendar, eventId: string): true | ApiError {
		const stored = calendar.events.get(eventId);
		if (!stored) return notFound();
		if (stored.resource.status === 'cancelled')
			return { status: 410, reason: 'deleted', message: 'Resource has been deleted', domain: 'calendar' };
		stored.resource = { ...stored.resource, status: 'cancelled' };
		this.#changed(calendar, stored);
		return true;
	}

	#changed(calendar: Calendar, stored: StoredEvent): void {
		const now = new Date().toISOString();
		stored.revision = ++calendar.revision;
		stored.resource.etag = this.#newEtag();
		stored.resource.updated = now;
		calendar.updated = now;
		calendar.etag = stored.resource.etag;
		for (const channel of this.#channels.values())
			if (channel.calendarId === calendar.id && this.#isLive(channel)) this.#notify(channel, 'exists');
	}

	/** Quoted microseconds like Google's, and never the same twice. */
	#newEtag(): string {
		this.#lastEtag = Math.max(this.#lastEtag + 1, Date.now() * 1000);
		return `"${this.#lastEtag}"`;
	}

	// ---- events.list: full and incremental sync ----

	#list(calendar: Calendar, query: URLSearchParams): Answer | ApiError {
		const maxResults = query.has('maxResults') ? Number(query.get('maxResults')) : 250;
		if (!Number.isInteger(maxResults) || maxResults < 1) return invalid('Invalid value for: maxResults', 'maxResults');
		const pageSize = Math.min(maxResults, 2500);
		const showDeleted = query.get('showDeleted') === 'true';
		const pageToken = query.get('pageToken');
		const syncToken = query.get('syncToken');
		let state: ListState;
		if (pageToken) {
			const opened = this.#open<ListState>(pageToken, 'page');
			if (!opened || opened.calendarId !== calendar.id) return invalid('Invalid page token value.', 'pageToken');
			state = opened;
			if (state.mode === 'incremental' && state.epoch !== calendar.epoch) return fullSyncRequired();
		} else if (syncToken) {
			if (query.has('timeMin') || query.has('timeMax') || query.has('updatedMin') || query.has('q') || query.has('orderBy'))
				return invalid('The syncToken cannot be combined with timeMin, timeMax, updatedMin, q or orderBy.', 'syncToken');
			if (query.get('showDeleted') === 'false') return invalid('Deletions are always shown with a syncToken.', 'showDeleted');
			const opened = this.#open<{ calendarId: string; revision: number; epoch: number }>(syncToken, 'sync');
			if (!opened || opened.calendarId !== calendar.id || opened.epoch !== calendar.epoch) return fullSyncRequired();
			state = {
				mode: 'incremental',
				calendarId: calendar.id,
				epoch: calendar.epoch,
				base: opened.revision,
				snapshot: calendar.revision,
				after: 0,
				showDeleted: true
			};
		} else {
			const timeMin = parseBound(query.get('timeMin'));
			const timeMax = parseBound(query.get('timeMax'));
			if (timeMin === null) return invalid('Bad Request', 'timeMin');
			if (timeMax === null) return invalid('Bad Request', 'timeMax');
			if (timeMin !== undefined && timeMax !== undefined && timeMin >= timeMax)
				return {
					status: 400,
					reason: 'timeRangeEmpty',
					message: 'The specified time range is empty.',
					domain: 'calendar',
					location: { type: 'parameter', name: 'timeMax' }
				};
			state = {
				mode: 'full',
				calendarId: calendar.id,
				epoch: calendar.epoch,
				base: 0,
				snapshot: calendar.revision,
				after: 0,
				showDeleted,
				timeMin,
				timeMax
			};
		}
		const matching = [...calendar.events.values()]
			.filter((e) => e.seq > state.after && this.#inListing(calendar, e, state))
			.sort((a, b) => a.seq - b.seq);
		const page = matching.slice(0, pageSize);
		const more = matching.length > pageSize;
		return {
			status: 200,
			body: {
				kind: 'calendar#events',
				etag: calendar.etag,
				summary: calendar.summary,
				updated: calendar.updated,
				timeZone: calendar.timeZone,
				accessRole: 'owner',
				defaultReminders: [],
				...(more
					? { nextPageToken: this.#seal('page', { ...state, after: page[page.length - 1].seq }) }
					: { nextSyncToken: this.#seal('sync', { calendarId: calendar.id, revision: state.snapshot, epoch: state.epoch }) }),
				items: page.map(({ resource }) =>
					// A deleted event is listed by its id alone, as Google does.
					resource.status === 'cancelled'
						? { kind: 'calendar#event', etag: resource.etag, id: resource.id, status: 'cancelled' }
						: resource
				)
			}
		};
	}

	#inListing(calendar: Calendar, stored: StoredEvent, state: ListState): boolean {
		if (state.mode === 'incremental') return stored.revision > state.base;
		if (stored.resource.status === 'cancelled' && !state.showDeleted) return false;
		const span = eventSpan(stored.resource, calendar.timeZone);
		if (state.timeMin !== undefined && span.end <= state.timeMin) return false;
		if (state.timeMax !== undefined && span.start >= state.timeMax) return false;
		return true;
	}

	#seal(kind: 'page' | 'sync', content: object): string {
		const payload = Buffer.from(JSON.stringify({ kind, ...content })).toString('base64url');
		return `${payload}.${createHmac('sha256', this.#tokenKey).update(payload).digest('base64url').slice(0, 22)}`;
	}

	#open<T>(token: string, kind: 'page' | 'sync'): T | null {
		const [payload, mac] = token.split('.');
		if (!payload || !mac) return null;
		const expected = Buffer.from(createHmac('sha256', this.#tokenKey).update(payload).digest('base64url').slice(0, 22));
		if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), expected)) return null;
		const content = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as T & { kind: string };
		return content.kind === kind ? content : null;
	}

	// ---- Channels ----

	#watch(calendar: Calendar, calendarParam: string, body: calendar_v3.Schema$Channel): Answer | ApiError {
		if (!body.id) return { status: 400, reason: 'required', message: 'Required', location: { type: 'parameter', name: 'id' } };
		if (body.type !== 'web_hook' && body.type !== 'webhook')
			return invalid(`Invalid value for: ${body.type ?? ''} is not a valid value`);
		if (!body.address || !/^https?:\/\//.test(body.address)) return invalid('Invalid notification address.');
		const existing = this.#channels.get(body.id);
		if (existing && this.#isLive(existing))
			return { status: 400, reason: 'channelIdNotUnique', message: `Channel id ${body.id} not unique` };
		const ttl = this.channelTtlSeconds ?? (body.params?.ttl ? Number(body.params.ttl) : DEFAULT_CHANNEL_TTL);
		const channel: Channel = {
			id: body.id,
			resourceId: calendar.resourceId,
			calendarId: calendar.id,
			address: body.address,
			expiration: Date.now() + ttl * 1000,
			messageNumber: 0,
			stopped: false,
			// Google confirms a channel with a `sync` message after answering the watch.
			queue: new Promise((resolve) => setImmediate(resolve)),
			...(body.token ? { token: body.token } : {})
		};
		this.#channels.set(channel.id, channel);
		this.#notify(channel, 'sync');
		return {
			status: 200,
			body: {
				kind: 'api#channel',
				id: channel.id,
				resourceId: channel.resourceId,
				resourceUri: this.#resourceUri(calendarParam),
				...(channel.token ? { token: channel.token } : {}),
				expiration: String(channel.expiration)
			}
		};
	}

	#stop(body: Record<string, unknown>): Answer | ApiError {
		const channel = typeof body.id === 'string' ? this.#channels.get(body.id) : undefined;
		if (!channel || channel.stopped || channel.resourceId !== body.resourceId)
			return { status: 404, reason: 'notFound', message: `Channel '${String(body.id)}' not found for project` };
		channel.stopped = true;
		return { status: 204 };
	}

	#isLive(channel: Channel): boolean {
		return !channel.stopped && channel.expiration > Date.now();
	}

	#resourceUri(calendarParam: string): string {
		return `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(calendarParam)}/events?alt=json`;
	}

	#notify(channel: Channel, state: 'sync' | 'exists'): void {
		const pending: Pending = { channel, state, number: ++channel.messageNumber };
		channel.last = pending;
		if (this.#held) return void this.#held.push(pending);
		// In order, one at a time per channel: tests get out-of-order delivery only by asking (releaseNotifications).
		channel.queue = channel.queue.then(() => this.#deliver(pending));
	}

	/** One POST, not retried, its answer recorded; never blocks the API answer that caused it. */
	#deliver({ channel, state, number }: Pending): Promise<void> {
		if (this.#closed) return Promise.resolve();
		const headers: Record<string, string> = {
			'content-length': '0',
			'X-Goog-Channel-ID': channel.id,
			'X-Goog-Channel-Expiration': new Date(channel.expiration).toUTCString(),
			'X-Goog-Resource-ID': channel.resourceId,
			'X-Goog-Resource-URI': this.#resourceUri(channel.calendarId),
			'X-Goog-Resource-State': state,
			'X-Goog-Message-Number': String(number)
		};
		if (channel.token !== undefined) headers['X-Goog-Channel-Token'] = channel.token;
		return new Promise((resolve) => {
			const record = (status: number | null) => {
				if (!this.#inFlight.delete(request)) return;
				this.deliveries.push({
					channelId: channel.id,
					resourceId: channel.resourceId,
					resourceState: state,
					messageNumber: number,
					address: channel.address,
					status
				});
				for (const wake of this.#deliveryWaiters.splice(0)) wake();
				resolve();
			};
			// A fresh connection each time (agent: false), so the receiver can close without waiting on us.
			const request = http.request(channel.address, { method: 'POST', headers, agent: false, timeout: 5_000 }, (res) => {
				res.resume();
				record(res.statusCode ?? null);
			});
			this.#inFlight.add(request);
			request.on('timeout', () => request.destroy());
			request.on('error', () => record(null));
			request.on('close', () => record(null));
			request.end();
		});
	}
}

/** The body as text, or null past 1 MiB (the rest is drained unread). */
async function readBody(req: http.IncomingMessage): Promise<string | null> {
	if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
		req.resume();
		return null;
	}
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size <= MAX_BODY) chunks.push(chunk as Buffer);
	}
	return size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8');
}

function errorAnswer(error: ApiError): Answer {
	const detail = {
		domain: error.domain ?? 'global',
		reason: error.reason,
		message: error.message,
		...(error.location ? { locationType: error.location.type, location: error.location.name } : {})
	};
	return {
		status: error.status,
		body: {
			error: { errors: [detail], code: error.status, message: error.message, status: STATUS_NAMES[error.status] ?? 'UNKNOWN' }
		},
		...(error.status === 401 ? { headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' } } : {})
	};
}

function fullSyncRequired(): ApiError {
	return {
		status: 410,
		reason: 'fullSyncRequired',
		message: 'Sync token is no longer valid, a full sync is required.',
		domain: 'calendar',
		location: { type: 'parameter', name: 'syncToken' }
	};
}

function newEventId(): string {
	return [...randomBytes(26)].map((b) => BASE32HEX[b & 31]).join('');
}

function writable(fields: GoogleEvent): Record<string, unknown> {
	return Object.fromEntries(Object.entries(fields).filter(([key, value]) => !READ_ONLY.includes(key) && value !== undefined));
}

/** Google's patch: given fields replace, objects merge key by key, null clears, arrays replace whole. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
	const result: Record<string, unknown> = { ...target };
	for (const [key, value] of Object.entries(patch)) {
		if (value === null) delete result[key];
		else if (isPlainObject(value) && isPlainObject(result[key]))
			result[key] = mergePatch(result[key] as Record<string, unknown>, value);
		else result[key] = structuredClone(value);
	}
	return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Start and end as Google requires them: both present, both dates or both date-times, end after start. */
function checkTimes(start: EventTime | undefined, end: EventTime | undefined, calendarZone: string): ApiError | null {
	if (!start) return { status: 400, reason: 'required', message: 'Missing start time.' };
	if (!end) return { status: 400, reason: 'required', message: 'Missing end time.' };
	const from = instant(start, 'start', calendarZone);
	if (isError(from)) return from;
	const to = instant(end, 'end', calendarZone);
	if (isError(to)) return to;
	if (Boolean(start.date) !== Boolean(end.date))
		return invalid('Start and end times must either both be date or both be dateTime.');
	if (to <= from)
		return { status: 400, reason: 'timeRangeEmpty', message: 'The specified time range is empty.', domain: 'calendar' };
	return null;
}

function instant(time: EventTime, which: 'start' | 'end', calendarZone: string): number | ApiError {
	if (time.timeZone) {
		try {
			new Intl.DateTimeFormat('en-US', { timeZone: time.timeZone });
		} catch {
			return invalid(`Invalid time zone definition for ${which} time.`);
		}
	}
	if (time.date && !time.dateTime) {
		if (!DATE.test(time.date) || Number.isNaN(Date.parse(time.date))) return invalid(`Invalid ${which} time.`);
		return localToUtc(`${time.date}T00:00:00`, time.timeZone ?? calendarZone);
	}
	if (!time.dateTime || time.date) return invalid(`Invalid ${which} time.`);
	const parsed = RFC3339.exec(time.dateTime);
	if (!parsed || Number.isNaN(Date.parse(time.dateTime.slice(0, 19) + 'Z'))) return invalid(`Invalid ${which} time.`);
	if (parsed[2]) return Date.parse(time.dateTime);
	if (!time.timeZone) return { status: 400, reason: 'required', message: `Missing time zone definition for ${which} time.` };
	return localToUtc(time.dateTime, time.timeZone);
}

function eventSpan(event: GoogleEvent, calendarZone: string): { start: number; end: number } {
	const start = instant(event.start ?? {}, 'start', calendarZone);
	const end = instant(event.end ?? {}, 'end', calendarZone);
	return { start: isError(start) ? 0 : start, end: isError(end) ? 0 : end };
}

/** A wall-clock time in `timeZone` as milliseconds since the epoch. */
function localToUtc(local: string, timeZone: string): number {
	const asUtc = Date.parse(local.replace(/(\.\d+)?$/, '') + 'Z');
	const offset = (at: number) => {
		const parts = new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric'
		}).formatToParts(at);
		const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
		return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) - at;
	};
	const first = asUtc - offset(asUtc);
	return asUtc - offset(first);
}

/** A listing bound: undefined when absent, null when not RFC 3339 with an offset. */
function parseBound(value: string | null): number | undefined | null {
	if (value === null) return undefined;
	const parsed = RFC3339.exec(value);
	return parsed?.[2] ? Date.parse(value) : null;
}

/** A server's settings pointing it at this fake (and at itself for Google's callbacks, on `port`). */
export function googleEnv(google: FakeGoogle, port: number): Record<string, string> {
	return {
		ORIGIN: `http://127.0.0.1:${port}`,
		GOOGLE_CLIENT_ID: 'frontdesk-test.apps.googleusercontent.com',
		GOOGLE_CLIENT_SECRET: 'test-client-secret',
		GOOGLE_API_ROOT: `${google.url}/`,
		GOOGLE_OAUTH_TOKEN_URL: `${google.url}/token`,
		GOOGLE_OAUTH_AUTH_URL: `${google.url}/o/oauth2/v2/auth`
	};
}
