import type { calendar_v3 } from '@googleapis/calendar';
import type * as Y from 'yjs';
import { randomBytes } from 'node:crypto';
import { listPractitioners } from '../../src/lib/domain/directory.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import type { Role } from '../../src/lib/domain/roles.ts';
import type { CalendarSettings } from '../config/index.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { CalendarSync } from './CalendarSync.ts';
import { CALENDAR_SCOPES, classifyFailure, googleClient, oauthClient } from './google.ts';
import { calendarNameOf } from './links.ts';

/** Where Google sends the person back after consenting. */
export const OAUTH_CALLBACK_PATH = '/calendar/oauth/callback';
/** A consent must come back within this long. */
const STATE_TTL_MS = 10 * 60 * 1000;
/** A token received and not yet given a calendar is forgotten after this long. */
const PENDING_TTL_MS = 30 * 60 * 1000;
/** Consents in flight at once (a bound on what a client can make the server hold). */
const MAX_STATES = 1000;

export interface Caller {
	id: string;
	clinicId: string;
	role: Role;
	practitionerId: string | null;
}

export class CalendarRefusal extends Error {
	override name = 'CalendarRefusal';
	readonly code: 'FORBIDDEN' | 'NOT_FOUND' | 'PRECONDITION_FAILED' | 'BAD_REQUEST';
	constructor(code: CalendarRefusal['code'], message: string) {
		super(message);
		this.code = code;
	}
}

export interface CalendarLinkStatus {
	practitionerId: string;
	calendarId: string;
	/** Google's name of the calendar; null until known (the settings screen shows the id then). */
	calendarName: string | null;
	state: 'ok' | 'retrying' | 'failing';
	lastError: string | null;
	/** A consent was given and waits for a calendar to be picked. */
	pending: boolean;
}

/**
 * Connecting practitioners' Google Calendars from the app (SCHEDULE-GOOGLE-1): the OAuth consent (offline access,
 * a `state` bound to the person who asked), the refresh token held here until a calendar is picked, then handed
 * to the sync. A practitioner connects their own calendar; an admin any practitioner's.
 */
export class CalendarConnections {
	readonly #settings: CalendarSettings;
	readonly #store: Pick<Store, 'calendar'>;
	readonly #sync: CalendarSync;
	readonly #readDirectory: <T>(clinicId: string, view: (doc: Y.Doc) => T) => Promise<T>;
	readonly #logger: Logger;
	readonly #states = new Map<string, { caller: Caller; practitionerId: string; expiresAt: number }>();
	readonly #pending = new Map<string, { refreshToken: string; userId: string; expiresAt: number }>();

	constructor(deps: {
		settings: CalendarSettings;
		store: Pick<Store, 'calendar'>;
		sync: CalendarSync;
		docs: { read<T>(docName: string, view: (doc: Y.Doc) => T): Promise<T> };
		logger: Logger;
	}) {
		this.#settings = deps.settings;
		this.#store = deps.store;
		this.#sync = deps.sync;
		this.#readDirectory = (clinicId, view) => deps.docs.read(docNames.directory(clinicId), view);
		this.#logger = deps.logger;
	}

	get configured(): boolean {
		return this.#settings.clientId !== null && this.#settings.clientSecret !== null && this.#settings.publicOrigin !== null;
	}

	/** May this person connect (or see) this practitioner's calendar? Throws if not; the practitioner must exist. */
	async #authorize(caller: Caller, practitionerId: string): Promise<void> {
		if (caller.role !== 'admin' && caller.practitionerId !== practitionerId) {
			throw new CalendarRefusal('FORBIDDEN', 'a practitioner connects their own calendar; an admin any');
		}
		const exists = await this.#readDirectory(caller.clinicId, (d) => listPractitioners(d).some((p) => p.id === practitionerId));
		if (!exists) throw new CalendarRefusal('NOT_FOUND', 'no such practitioner');
	}

	/** The calendars this person may see, and which practitioner they are themselves (null for admins without one). */
	async status(caller: Caller): Promise<{ configured: boolean; own: string | null; links: CalendarLinkStatus[] }> {
		const now = Date.now();
		const links = (await this.#store.calendar.linksForClinic(caller.clinicId))
			.filter((l) => caller.role === 'admin' || l.practitionerId === caller.practitionerId)
			.map((l) => ({
				practitionerId: l.practitionerId,
				calendarId: l.calendarId,
				calendarName: l.calendarName,
				state: l.failures === 0 ? ('ok' as const) : l.lastError === 'auth' ? ('failing' as const) : ('retrying' as const),
				lastError: l.lastError,
				pending: this.#pendingOf(caller.clinicId, l.practitionerId, now) !== null
			}));
		for (const [key, p] of this.#pending) {
			const [clinicId, practitionerId] = key.split(':');
			if (clinicId !== caller.clinicId || p.expiresAt < now || links.some((l) => l.practitionerId === practitionerId)) continue;
			if (caller.role !== 'admin' && caller.practitionerId !== practitionerId) continue;
			links.push({ practitionerId, calendarId: '', calendarName: null, state: 'ok', lastError: null, pending: true });
		}
		return { configured: this.configured, own: caller.practitionerId, links };
	}

	/** The consent URL for this practitioner's calendar; the browser goes there. */
	async connectUrl(caller: Caller, practitionerId: string): Promise<string> {
		if (!this.configured)
			throw new CalendarRefusal('PRECONDITION_FAILED', 'Google is not set up on this server (GOOGLE_CLIENT_ID)');
		await this.#authorize(caller, practitionerId);
		const now = Date.now();
		for (const [state, s] of this.#states) if (s.expiresAt < now) this.#states.delete(state);
		if (this.#states.size >= MAX_STATES)
			throw new CalendarRefusal('PRECONDITION_FAILED', 'too many consents in progress; try again');
		const state = randomBytes(24).toString('base64url');
		this.#states.set(state, { caller, practitionerId, expiresAt: now + STATE_TTL_MS });
		return oauthClient(this.#settings, this.#redirectUri()).generateAuthUrl({
			access_type: 'offline',
			// A refresh token is given only on consent: asked every time, so a reconnect gets one too.
			prompt: 'consent',
			scope: CALENDAR_SCOPES,
			state,
			include_granted_scopes: true
		});
	}

	#redirectUri(): string {
		return `${this.#settings.publicOrigin}${OAUTH_CALLBACK_PATH}`;
	}

	/**
	 * Google's answer: the code exchanged for a refresh token, held until a calendar is picked. The person coming
	 * back must be the one who asked (`sessionUserId`). Returns where to send the browser.
	 */
	async callback(query: URLSearchParams, sessionUserId: string | null): Promise<{ practitionerId: string } | { error: string }> {
		const state = query.get('state') ?? '';
		const asked = this.#states.get(state);
		this.#states.delete(state);
		if (!asked || asked.expiresAt < Date.now() || asked.caller.id !== sessionUserId) return { error: 'state' };
		if (query.get('error')) return { error: 'denied' };
		const code = query.get('code');
		if (!code || code.length > 2048) return { error: 'code' };
		try {
			const { tokens } = await oauthClient(this.#settings, this.#redirectUri()).getToken(code);
			if (!tokens.refresh_token) return { error: 'no_refresh_token' };
			this.#pending.set(`${asked.caller.clinicId}:${asked.practitionerId}`, {
				refreshToken: tokens.refresh_token,
				userId: asked.caller.id,
				expiresAt: Date.now() + PENDING_TTL_MS
			});
			this.#logger.info({ clinicId: asked.caller.clinicId, practitionerId: asked.practitionerId }, 'Google consent received');
			return { practitionerId: asked.practitionerId };
		} catch (error) {
			const failure = classifyFailure(error);
			this.#logger.warn({ clinicId: asked.caller.clinicId, kind: failure.kind }, 'Google code exchange failed');
			return { error: 'exchange' };
		}
	}

	#pendingOf(clinicId: string, practitionerId: string, now = Date.now()) {
		const p = this.#pending.get(`${clinicId}:${practitionerId}`);
		return p && p.expiresAt >= now ? p : null;
	}

	/** The calendars of the account just consented (or the connected one), to pick from. */
	async calendars(caller: Caller, practitionerId: string): Promise<{ id: string; summary: string; primary: boolean }[]> {
		await this.#authorize(caller, practitionerId);
		const token = await this.#tokenFor(caller.clinicId, practitionerId);
		try {
			return (await this.#list(token)).map((c) => ({
				id: c.id ?? '',
				summary: c.summary ?? c.id ?? '',
				primary: c.primary === true
			}));
		} catch (error) {
			throw new CalendarRefusal('PRECONDITION_FAILED', `Google did not list the calendars (${classifyFailure(error).kind})`);
		}
	}

	async #list(refreshToken: string): Promise<calendar_v3.Schema$CalendarListEntry[]> {
		const { api } = googleClient(this.#settings, refreshToken);
		const res = await api.calendarList.list({ minAccessRole: 'writer', maxResults: 250 });
		return res.data.items ?? [];
	}

	async #tokenFor(clinicId: string, practitionerId: string): Promise<string> {
		const pending = this.#pendingOf(clinicId, practitionerId);
		if (pending) return pending.refreshToken;
		const link = await this.#store.calendar.link(clinicId, practitionerId);
		if (!link) throw new CalendarRefusal('PRECONDITION_FAILED', 'connect the Google account first');
		return this.#sync.refreshTokenOf(link);
	}

	/**
	 * Connects the picked calendar (or moves the link to another calendar of the same account) and starts syncing.
	 * The account's calendars are listed once more here: only one of them it may write is taken (SCHEDULE-GOOGLE-12),
	 * and its name comes with it. If Google does not list them now, nothing is connected and the person tries again.
	 */
	async pick(caller: Caller, practitionerId: string, calendarId: string): Promise<void> {
		await this.#authorize(caller, practitionerId);
		const refreshToken = await this.#tokenFor(caller.clinicId, practitionerId);
		let calendars: calendar_v3.Schema$CalendarListEntry[];
		try {
			calendars = await this.#list(refreshToken);
		} catch (error) {
			throw new CalendarRefusal('PRECONDITION_FAILED', `Google did not list the calendars (${classifyFailure(error).kind})`);
		}
		const picked = calendars.find((c) => c.id === calendarId);
		if (!picked) throw new CalendarRefusal('BAD_REQUEST', 'not a calendar this Google account can write to');
		const calendarName = calendarNameOf(picked.summary);
		await this.#sync.connect({
			clinicId: caller.clinicId,
			practitionerId,
			userId: caller.id,
			calendarId,
			calendarName,
			refreshToken
		});
		this.#pending.delete(`${caller.clinicId}:${practitionerId}`);
		this.#logger.info({ clinicId: caller.clinicId, practitionerId, userId: caller.id }, 'Google Calendar connected');
	}

	async disconnect(caller: Caller, practitionerId: string): Promise<boolean> {
		await this.#authorize(caller, practitionerId);
		this.#pending.delete(`${caller.clinicId}:${practitionerId}`);
		const removed = await this.#sync.disconnect(caller.clinicId, practitionerId);
		if (removed)
			this.#logger.info({ clinicId: caller.clinicId, practitionerId, userId: caller.id }, 'Google Calendar disconnected');
		return removed;
	}
}
