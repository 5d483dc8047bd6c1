import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { calendar_v3 } from '@googleapis/calendar';
import { today as todayIn } from '@internationalized/date';
import { Counter, type Registry } from 'prom-client';
import * as Y from 'yjs';
import {
	busyEventKey,
	busyMonths,
	busyPieces,
	recordLostVersion,
	setBusyPieces,
	type BusyBlock,
	type LostVersion
} from '../../src/lib/domain/calendarBusy.ts';
import { readCalendarShare } from '../../src/lib/domain/calendarSettings.ts';
import { clinicProfile } from '../../src/lib/domain/clinicSettings.ts';
import { contactLabel, resolveContact } from '../../src/lib/domain/contacts.ts';
import { PatientLabels } from './patientLabels.ts';
import { docNames, parseDocName } from '../../src/lib/domain/docName.ts';
import { newId } from '../../src/lib/domain/ids.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import {
	appointmentEntries,
	changeAppointment,
	findAppointment,
	listAppointments,
	monthOf,
	scheduleDoc,
	type Appointment
} from '../../src/lib/domain/schedule.ts';
import { markMovedAway, writeMovedCopy } from '../../src/lib/domain/scheduleMoves.ts';
import { listServices } from '../../src/lib/domain/services.ts';
import type { CalendarSettings } from '../config/index.ts';
import type { Keyring } from '../crypto/index.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CalendarEventRow, CalendarLinkRow, Store } from '../store/index.ts';
import type { DocHandle } from '../sync/SyncServer.ts';
import type { SyncHooks } from '../sync/hooks.ts';
import {
	APPOINTMENT_PROPERTY,
	eventIdOf,
	eventOf,
	fingerprintOf,
	minutesBetween,
	wallTimesOf,
	type EventContext
} from './eventBody.ts';
import { classifyFailure, GoogleError, googleClient, type GoogleFailure } from './google.ts';
import { calendarNameOf, newLinkRow, openRefreshToken, type LinkInput } from './links.ts';

/** Who writes what Google said into the book (every stored update names its writer). */
export const CALENDAR_ORIGIN: TransactionOrigin = { source: 'job', name: 'google-calendar' };

/** The path Google posts push notifications to. */
export const CALENDAR_WEBHOOK_PATH = '/webhooks/google/calendar';
/** Months of the book kept in Google: from last month to a year ahead. */
const MONTHS_BACK = 1;
const MONTHS_AHEAD = 12;
/** Busy blocks are kept for this window only: a recurring event without end would write docs for ever. */
const BUSY_DAYS_BACK = 31;
const BUSY_DAYS_AHEAD = 366;
/** Events per page of a listing (Google's maximum is 2,500). */
const PAGE_SIZE = 250;
/** A push channel lives a week (Google's longest for events); it is renewed `channelRenewMs` before. */
const CHANNEL_TTL_S = 7 * 24 * 60 * 60;
/** Backoff after a failure: twice CALENDAR_RETRY_BASE_MS, four times, … up to 15 minutes; an account that needs reconnecting is tried hourly. */
const BACKOFF_MAX_MS = 15 * 60 * 1000;
const AUTH_RETRY_MS = 60 * 60 * 1000;
/** Rows of events written to Google stored in one commit. */
const STORE_BATCH = 50;
/** Changes to the book in this window are pushed together. */
const DEBOUNCE_MS = 100;
/** The longest an appointment can be (what Google may set that the book takes). */
const MAX_APPOINTMENT_MINUTES = 12 * 60;

export interface CalendarSyncDeps {
	store: Pick<Store, 'calendar' | 'clinics'>;
	keyring: Keyring;
	/** The server's doc access (held handles, as the channels use). */
	docs: {
		read<T>(docName: string, view: (doc: Y.Doc) => T): Promise<T>;
		write(docName: string, origin: TransactionOrigin, edit: (doc: Y.Doc) => void): Promise<void>;
		get(docName: string, origin: TransactionOrigin): Promise<DocHandle>;
	};
	settings: CalendarSettings;
	logger: Logger;
	registry?: Registry;
	now?: () => number;
}

/** What the sync did, for tests, benches and the settings screen. */
export interface CalendarStats {
	inserted: number;
	patched: number;
	deleted: number;
	pulled: number;
	conflicts: number;
}

const linkKey = (link: Pick<CalendarLinkRow, 'clinicId' | 'practitionerId'>) => `${link.clinicId}:${link.practitionerId}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Two-way sync of the book with practitioners' Google Calendars (SCHEDULE-GOOGLE-*, docs/spec/schedule.md).
 *
 * Out: every stored change of a schedule month marks that month; its appointments are compared with what was last
 * sent (a fingerprint per event, in the store) and inserted (under an id derived from ours, so a retried insert
 * cannot duplicate), patched with `If-Match` or deleted. In: a push notification (or the periodic look) lists the
 * calendar's changes since the stored sync token; our own writes coming back are recognized by their etag; a
 * change made in Google moves or cancels the appointment, unless the book changed it too since the last push —
 * then the book wins and Google's version is kept on the appointment (lost versions). Google's own events become
 * busy blocks. All work of one clinic runs one piece at a time; a failure backs off that calendar only, with its
 * state in the store, and the book never waits for Google. At start every linked clinic's months are compared
 * again, which is how a sync cut short by a crash resumes.
 */
export class CalendarSync implements SyncHooks {
	readonly #d: CalendarSyncDeps;
	readonly #dirty = new Map<string, Set<string>>();
	/** Clinics whose contacts changed: their patients' labels are looked at again (SCHEDULE-GOOGLE-13). */
	readonly #contactsChanged = new Set<string>();
	readonly #labels = new Map<string, PatientLabels>();
	readonly #pullDue = new Map<string, Set<string>>();
	readonly #running = new Map<string, Promise<void>>();
	readonly #again = new Set<string>();
	readonly #kickTimers = new Map<string, NodeJS.Timeout>();
	#clinicsWithLinks = new Set<string>();
	/** Links this process has started syncing, by clinic and practitioner, with when each was connected. */
	readonly #known = new Map<string, number>();
	readonly #clients = new Map<string, { createdAt: number; api: calendar_v3.Calendar }>();
	/** Events written to Google whose rows wait for the next batch (`#storeLater`). */
	readonly #unstored: CalendarEventRow[] = [];
	#timer: NodeJS.Timeout | null = null;
	#stopped = false;
	readonly stats: CalendarStats = { inserted: 0, patched: 0, deleted: 0, pulled: 0, conflicts: 0 };
	readonly #calls: Counter<'op' | 'outcome'> | null;

	constructor(deps: CalendarSyncDeps) {
		this.#d = deps;
		this.#calls = deps.registry
			? new Counter({
					name: 'frontdesk_calendar_calls_total',
					help: 'Calls to Google Calendar by operation and outcome',
					labelNames: ['op', 'outcome'],
					registers: [deps.registry]
				})
			: null;
	}

	get #now(): number {
		return (this.#d.now ?? Date.now)();
	}

	/** Compares every linked clinic's months again and lists every calendar's changes; then looks every interval. */
	async start(): Promise<void> {
		await this.tick();
		this.#timer = setInterval(() => void this.tick(), this.#d.settings.intervalMs);
		this.#timer.unref();
	}

	stop(): void {
		this.#stopped = true;
		if (this.#timer) clearInterval(this.#timer);
		for (const t of this.#kickTimers.values()) clearTimeout(t);
	}

	/** Resolves once no clinic has work running (tests and benches wait on it). */
	async idle(): Promise<void> {
		for (;;) {
			const running = [...this.#running.values()];
			const pending = this.#kickTimers.size;
			if (running.length === 0 && pending === 0) return;
			await Promise.all(running);
			if (pending > 0) await new Promise((resolve) => setTimeout(resolve, DEBOUNCE_MS));
		}
	}

	/** The periodic look: channels near expiry renewed, changes listed (a missed notification), retries made. */
	async tick(): Promise<void> {
		const links = await this.#d.store.calendar.allLinks();
		this.#clinicsWithLinks = new Set(links.map((l) => l.clinicId));
		for (const link of links) {
			if (this.#stopped) return;
			// Connected since this process last looked (at start, or by the admin CLI in another process): all of it.
			if (this.#known.get(linkKey(link)) !== link.createdAt) {
				this.#known.set(linkKey(link), link.createdAt);
				await this.#everything(link);
				continue;
			}
			this.#want(this.#pullDue, link.clinicId, link.practitionerId);
			this.#kick(link.clinicId, 0);
		}
	}

	// ----- links -----

	/**
	 * Connects a practitioner's calendar with a refresh token (from the OAuth answer or the admin CLI) and starts
	 * syncing it: a full listing, a push channel, every month of the book compared.
	 */
	async connect(input: LinkInput): Promise<void> {
		const previous = await this.#d.store.calendar.link(input.clinicId, input.practitionerId);
		const row = await newLinkRow(this.#d.keyring, input, this.#now, previous);
		await this.#d.store.calendar.connect(row);
		if (previous?.channel) void this.#stopChannel(previous, previous.channel);
		this.#known.set(linkKey(row), row.createdAt);
		this.#clinicsWithLinks.add(row.clinicId);
		await this.#everything(row);
	}

	async disconnect(clinicId: string, practitionerId: string): Promise<boolean> {
		const link = await this.#d.store.calendar.link(clinicId, practitionerId);
		if (!link) return false;
		// Not while this clinic's sync is writing: the busy blocks removed below must stay removed.
		await this.#running.get(clinicId)?.catch(() => {});
		// The practitioner's own events no longer say anything about their time here: their busy blocks go.
		const busy = (await this.#d.store.calendar.eventsOfPractitioner(clinicId, practitionerId)).filter((r) => !r.appointmentId);
		if (busy.length > 0)
			await this.#busyChanged(
				link,
				busy.map((row) => ({ event: { id: row.eventId, status: 'cancelled' }, row })),
				'UTC'
			);
		await this.#d.store.calendar.disconnect(clinicId, practitionerId);
		// Events already in Google stay there (they are the practitioner's now); no more changes reach them.
		if (link.channel) await this.#stopChannel(link, link.channel);
		this.#known.delete(linkKey(link));
		this.#clients.delete(linkKey(link));
		if ((await this.#d.store.calendar.linksForClinic(clinicId)).length === 0) this.#clinicsWithLinks.delete(clinicId);
		return true;
	}

	/** The refresh token of a link, opened with the clinic's key. */
	refreshTokenOf(link: CalendarLinkRow): Promise<string> {
		return openRefreshToken(this.#d.keyring, link);
	}

	async #everything(link: CalendarLinkRow): Promise<void> {
		for (const month of this.#window()) this.#want(this.#dirty, link.clinicId, month);
		for (const row of await this.#d.store.calendar.eventsOfPractitioner(link.clinicId, link.practitionerId))
			for (const month of row.months) this.#want(this.#dirty, link.clinicId, month);
		this.#want(this.#pullDue, link.clinicId, link.practitionerId);
		this.#kick(link.clinicId, 0);
	}

	#window(): string[] {
		const months: string[] = [];
		const first = todayIn('UTC').set({ day: 1 }).subtract({ months: MONTHS_BACK });
		for (let i = 0; i <= MONTHS_BACK + MONTHS_AHEAD; i++) months.push(monthOf(first.add({ months: i }).toString()));
		return months;
	}

	// ----- the hook: what the book stored -----

	onCommitted({ kind, docName, clinicId }: { kind: string; docName: string; clinicId: string }): void {
		if (!this.#clinicsWithLinks.has(clinicId) || this.#stopped) return;
		if (kind === 'schedule') {
			const month = parseDocName(docName)?.key;
			if (!month) return;
			this.#want(this.#dirty, clinicId, month);
			this.#kick(clinicId, DEBOUNCE_MS);
		} else if (kind === 'contacts') {
			// A patient renamed, merged or erased: their events must say so (only theirs are written again).
			this.#contactsChanged.add(clinicId);
			this.#kick(clinicId, DEBOUNCE_MS);
		} else if (kind === 'directory') {
			// What goes to Google may have changed (the setting, a service's name): every month is compared again.
			for (const month of this.#window()) this.#want(this.#dirty, clinicId, month);
			this.#kick(clinicId, DEBOUNCE_MS);
		}
	}

	// ----- push notifications -----

	/**
	 * A push notification (headers only; Google sends no body for calendars). Answers the HTTP status: 200 when it
	 * is one of our channels with its token (a listing follows, however many notifications came and in whatever
	 * order: each only says "something changed"), 404 for a channel we do not know, 401 for a wrong token.
	 */
	async notified(headers: { channelId?: string; token?: string; resourceId?: string; state?: string }): Promise<number> {
		if (!headers.channelId || !headers.state) return 400;
		const link = await this.#d.store.calendar.byChannel(headers.channelId);
		if (!link?.channel) return 404;
		const given = sha256(headers.token ?? '');
		const stored = Buffer.from(link.channel.tokenHash, 'base64url');
		if (stored.length !== given.length || !timingSafeEqual(stored, given) || headers.resourceId !== link.channel.resourceId)
			return 401;
		if (headers.state !== 'sync') {
			this.#want(this.#pullDue, link.clinicId, link.practitionerId);
			this.#kick(link.clinicId, 0);
		}
		return 200;
	}

	// ----- the per-clinic queue -----

	#want(map: Map<string, Set<string>>, clinicId: string, item: string): void {
		const set = map.get(clinicId);
		if (set) set.add(item);
		else map.set(clinicId, new Set([item]));
	}

	#kick(clinicId: string, delayMs: number): void {
		if (this.#stopped) return;
		if (this.#running.has(clinicId)) {
			this.#again.add(clinicId);
			return;
		}
		if (this.#kickTimers.has(clinicId)) {
			if (delayMs > 0) return;
			clearTimeout(this.#kickTimers.get(clinicId));
		}
		const timer = setTimeout(() => {
			this.#kickTimers.delete(clinicId);
			this.#run(clinicId);
		}, delayMs);
		this.#kickTimers.set(clinicId, timer);
	}

	#run(clinicId: string): void {
		const run = this.#drain(clinicId)
			.catch((error: unknown) => this.#d.logger.error({ clinicId, err: errorMessage(error) }, 'calendar sync failed'))
			.finally(() => {
				this.#running.delete(clinicId);
				if (this.#again.delete(clinicId)) this.#kick(clinicId, 0);
			});
		this.#running.set(clinicId, run);
	}

	async #drain(clinicId: string): Promise<void> {
		const links = new Map((await this.#d.store.calendar.linksForClinic(clinicId)).map((l) => [l.practitionerId, l]));
		const pulls = this.#pullDue.get(clinicId) ?? new Set<string>();
		for (const practitionerId of [...pulls]) {
			const link = links.get(practitionerId);
			pulls.delete(practitionerId);
			if (!link || this.#stopped) continue;
			if (this.#waiting(link)) {
				pulls.add(practitionerId);
				continue;
			}
			try {
				await this.#ensureChannel(link);
				await this.#pull(link);
				await this.#succeeded(link);
			} catch (error) {
				pulls.add(practitionerId);
				await this.#failed(link, error);
			}
		}
		const labels = this.#labels.get(clinicId);
		if (this.#contactsChanged.delete(clinicId) && labels) {
			const now = await this.#patientLabels(clinicId, labels.patients());
			for (const month of labels.monthsToCompare(now)) this.#want(this.#dirty, clinicId, month);
		}
		const dirty = this.#dirty.get(clinicId) ?? new Set<string>();
		for (const month of [...dirty].sort()) {
			if (this.#stopped) return;
			dirty.delete(month);
			const current = new Map((await this.#d.store.calendar.linksForClinic(clinicId)).map((l) => [l.practitionerId, l]));
			if (current.size === 0) return;
			const finished = await this.#reconcile(clinicId, month, current).catch((error: unknown) => {
				this.#d.logger.error({ clinicId, month, err: errorMessage(error) }, 'calendar push failed');
				return false;
			});
			if (!finished) dirty.add(month);
		}
	}

	#waiting(link: CalendarLinkRow): boolean {
		return link.retryAt > this.#now;
	}

	async #succeeded(link: CalendarLinkRow): Promise<void> {
		if (link.failures === 0 && link.lastError === null) return;
		link.failures = 0;
		link.retryAt = 0;
		link.lastError = null;
		await this.#d.store.calendar.update(link, { failures: 0, retryAt: 0, lastError: null });
	}

	/** Backs off this calendar (not the clinic's others, not the book) and says why, without content. */
	async #failed(link: CalendarLinkRow, error: unknown): Promise<void> {
		const failure: GoogleFailure = error instanceof GoogleError ? error.failure : classifyFailure(error);
		const failures = link.failures + 1;
		const delay =
			failure.kind === 'auth'
				? AUTH_RETRY_MS
				: Math.min(BACKOFF_MAX_MS, this.#d.settings.retryBaseMs * 2 ** Math.min(failures, 20)) * (0.75 + Math.random() / 2);
		const reason = 'reason' in failure ? failure.reason : failure.kind;
		link.failures = failures;
		link.retryAt = this.#now + Math.round(delay);
		link.lastError = failure.kind === 'auth' ? 'auth' : reason;
		await this.#d.store.calendar.update(link, {
			failures,
			retryAt: link.retryAt,
			lastError: link.lastError
		});
		this.#d.logger.warn(
			{ clinicId: link.clinicId, practitionerId: link.practitionerId, kind: failure.kind, reason, retryInMs: Math.round(delay) },
			'Google Calendar call failed; backing off'
		);
		// Looked at again once the wait is over (the periodic look would too, later).
		const timer = setTimeout(() => this.#kick(link.clinicId, 0), Math.round(delay) + 10);
		timer.unref();
	}

	/** One client per link, kept: its access token is reused until it expires (then refreshed by the client). */
	async #api(link: CalendarLinkRow): Promise<calendar_v3.Calendar> {
		const cached = this.#clients.get(linkKey(link));
		if (cached?.createdAt === link.createdAt) return cached.api;
		const { api } = googleClient(this.#d.settings, await this.refreshTokenOf(link));
		this.#clients.set(linkKey(link), { createdAt: link.createdAt, api });
		return api;
	}

	async #call<T>(op: string, run: () => Promise<T>): Promise<T> {
		try {
			const result = await run();
			this.#calls?.inc({ op, outcome: 'ok' });
			return result;
		} catch (error) {
			const failure = classifyFailure(error);
			this.#calls?.inc({ op, outcome: failure.kind });
			throw new GoogleError(failure);
		}
	}

	// ----- out: the book to Google -----

	/** Brings Google in line with one month of the book. False if some calendar is waiting (try the month again). */
	async #reconcile(clinicId: string, month: string, links: Map<string, CalendarLinkRow>): Promise<boolean> {
		const name = docNames.schedule(clinicId, month);
		const view = await this.#d.docs.read(name, (d) => {
			const movedAway = new Map<string, string>();
			for (const [id, entry] of appointmentEntries(d)) {
				const to = entry instanceof Y.Map ? entry.get('movedTo') : undefined;
				if (typeof to === 'string') movedAway.set(id, to);
			}
			return { appointments: listAppointments(d), movedAway };
		});
		const known = await this.#d.store.calendar.eventsOfMonth(clinicId, month);
		const context = await this.#context(clinicId, month, view.appointments);
		let finished = true;
		try {
			for (const a of view.appointments) {
				if (this.#stopped) return false;
				finished = (await this.#pushAppointment(clinicId, links, a, month, context)) && finished;
			}
		} finally {
			await this.#storeRows();
		}
		const present = new Set(view.appointments.map((a) => a.id));
		for (const row of known) {
			if (present.has(row.appointmentId!)) continue;
			const movedTo = view.movedAway.get(row.appointmentId!);
			if (movedTo) {
				// Pushed from the month it is in now.
				this.#want(this.#dirty, clinicId, movedTo);
				continue;
			}
			finished = (await this.#removeEvent(links.get(row.practitionerId), row)) && finished;
		}
		return finished;
	}

	/** What events say of these appointments; with `month`, they are that month's all (their labels are kept). */
	async #context(
		clinicId: string,
		month: string | null,
		appointments: readonly Appointment[]
	): Promise<(a: Appointment) => EventContext> {
		const directory = await this.#d.docs.read(docNames.directory(clinicId), (d) => ({
			share: readCalendarShare(d),
			profile: clinicProfile(d),
			services: new Map(listServices(d).map((s) => [s.id, s.name]))
		}));
		const ids = [...new Set(appointments.map((a) => a.patientId).filter((id): id is string => id !== undefined))];
		const names =
			directory.share === 'busy' || ids.length === 0 ? new Map<string, string>() : await this.#patientLabels(clinicId, ids);
		if (month !== null) {
			let labels = this.#labels.get(clinicId);
			if (!labels) this.#labels.set(clinicId, (labels = new PatientLabels()));
			labels.compared(month, directory.share === 'busy' ? new Map() : new Map(ids.map((id) => [id, names.get(id) ?? ''])));
		}
		return (a) => ({
			share: directory.share,
			timeZone: directory.profile.timeZone,
			language: directory.profile.language,
			patientName: (a.patientId ? names.get(a.patientId) : a.patientName) ?? '',
			serviceName: a.serviceId ? (directory.services.get(a.serviceId) ?? '') : ''
		});
	}

	/** How the book names these patients now (a merged one by the patient kept; an erased one not at all). */
	#patientLabels(clinicId: string, ids: readonly string[]): Promise<Map<string, string>> {
		return this.#d.docs.read(docNames.contacts(clinicId), (d) => {
			const found = new Map<string, string>();
			for (const id of ids) {
				const contact = resolveContact(d, id);
				if (contact) found.set(id, contactLabel(contact));
			}
			return found;
		});
	}

	/** One appointment: in its practitioner's calendar if linked and not cancelled, in no other. False if waiting. */
	async #pushAppointment(
		clinicId: string,
		links: Map<string, CalendarLinkRow>,
		a: Appointment,
		month: string,
		context: (a: Appointment) => EventContext
	): Promise<boolean> {
		const target = a.status !== 'cancelled' && links.has(a.practitionerId) ? a.practitionerId : null;
		const rows = await this.#d.store.calendar.eventsOfAppointment(clinicId, a.id);
		let finished = true;
		for (const row of rows) {
			if (row.practitionerId !== target) finished = (await this.#removeEvent(links.get(row.practitionerId), row)) && finished;
		}
		if (!target) return finished;
		const link = links.get(target)!;
		if (this.#waiting(link)) return false;
		const body = eventOf(a, context(a));
		const fingerprint = fingerprintOf(body);
		const row = rows.find((r) => r.practitionerId === target);
		if (row && row.fingerprint === fingerprint) {
			if (row.months[0] !== month) await this.#storeLater({ ...row, months: [month] });
			return finished;
		}
		try {
			const api = await this.#api(link);
			const written = row
				? await this.#patch(api, link, row, body, a, month)
				: await this.#insert(api, link, a.id, body, a, month);
			await this.#storeLater({
				clinicId,
				practitionerId: target,
				eventId: written.id!,
				appointmentId: a.id,
				months: [month],
				etag: written.etag ?? null,
				fingerprint
			});
			await this.#succeeded(link);
		} catch (error) {
			await this.#failed(link, error);
			return false;
		}
		return finished;
	}

	/**
	 * What was written to Google is recorded in the store in batches (one commit for many events, not an fsync for
	 * each: pushing 1,000 bookings went from 105 to 129 per second against the fake). A crash before the batch is
	 * stored loses nothing: the next comparison finds the events by their ids (an insert answers 409) and brings them
	 * up to date.
	 */
	async #storeLater(row: CalendarEventRow): Promise<void> {
		this.#unstored.push(row);
		if (this.#unstored.length >= STORE_BATCH) await this.#storeRows();
	}

	async #storeRows(): Promise<void> {
		const rows = this.#unstored.splice(0);
		if (rows.length > 0) await this.#d.store.calendar.putEvents(rows, []);
	}

	async #insert(
		api: calendar_v3.Calendar,
		link: CalendarLinkRow,
		appointmentId: string,
		body: calendar_v3.Schema$Event,
		a: Appointment,
		month: string
	): Promise<calendar_v3.Schema$Event> {
		const eventId = eventIdOf(appointmentId);
		try {
			const res = await this.#call('insert', () =>
				api.events.insert({ calendarId: link.calendarId, requestBody: { ...body, id: eventId } })
			);
			this.stats.inserted++;
			return res.data;
		} catch (error) {
			if (!(error instanceof GoogleError) || error.failure.kind !== 'duplicate') throw error;
			// Inserted before (a crash came before the store heard of it), or deleted there earlier: the event with our
			// id is brought to the book's version.
			const existing = (await this.#call('get', () => api.events.get({ calendarId: link.calendarId, eventId }))).data;
			const row: CalendarEventRow = {
				clinicId: link.clinicId,
				practitionerId: link.practitionerId,
				eventId,
				appointmentId,
				months: [month],
				etag: existing.etag ?? null,
				fingerprint: null
			};
			return this.#patch(api, link, row, body, a, month);
		}
	}

	/** Patches with the etag last seen; a 412 means Google changed it too: the book wins, Google's version is kept. */
	async #patch(
		api: calendar_v3.Calendar,
		link: CalendarLinkRow,
		row: CalendarEventRow,
		body: calendar_v3.Schema$Event,
		a: Appointment,
		month: string
	): Promise<calendar_v3.Schema$Event> {
		const patch = (etag: string | null) =>
			this.#call('patch', () =>
				api.events.patch(
					{ calendarId: link.calendarId, eventId: row.eventId, requestBody: body },
					etag ? { headers: { 'If-Match': etag } } : {}
				)
			);
		try {
			const res = await patch(row.etag);
			this.stats.patched++;
			return res.data;
		} catch (error) {
			if (!(error instanceof GoogleError)) throw error;
			if (error.failure.kind === 'not_found') {
				// Gone from Google altogether (the calendar was emptied): made again.
				await this.#d.store.calendar.deleteEvent(row.clinicId, row.practitionerId, row.eventId);
				return this.#insert(api, link, a.id, body, a, month);
			}
			if (error.failure.kind !== 'conflict') throw error;
			const theirs = (await this.#call('get', () => api.events.get({ calendarId: link.calendarId, eventId: row.eventId }))).data;
			await this.#keepLostVersion(link, a, month, theirs);
			const res = await patch(theirs.etag ?? null);
			this.stats.patched++;
			return res.data;
		}
	}

	/** Records Google's version of an appointment that lost to the book's, if it differs from the book's. */
	async #keepLostVersion(link: CalendarLinkRow, a: Appointment, month: string, theirs: calendar_v3.Schema$Event): Promise<void> {
		const timeZone = await this.#d.docs.read(docNames.directory(link.clinicId), (d) => clinicProfile(d).timeZone);
		let lost: LostVersion;
		if (theirs.status === 'cancelled') lost = { id: newId(), at: new Date(this.#now).toISOString(), deleted: true };
		else {
			const times = wallTimesOf(theirs, timeZone);
			if (!times) return;
			const minutes = minutesBetween(times.start, times.end, timeZone);
			if (times.start === a.start && minutes === a.durationMinutes) return;
			lost = { id: newId(), at: new Date(this.#now).toISOString(), start: times.start, durationMinutes: Math.max(1, minutes) };
		}
		this.stats.conflicts++;
		await this.#d.docs.write(docNames.schedule(link.clinicId, month), CALENDAR_ORIGIN, (d) =>
			recordLostVersion(scheduleDoc(docNames.schedule(link.clinicId, month), d), a.id, lost)
		);
		this.#d.logger.info(
			{ clinicId: link.clinicId, practitionerId: link.practitionerId, appointmentId: a.id },
			'edited in the book and in Google at once: the book kept, Google’s version recorded'
		);
	}

	/** Deletes our event (cancelled or deleted in the book, or now another practitioner's). False if waiting. */
	async #removeEvent(link: CalendarLinkRow | undefined, row: CalendarEventRow): Promise<boolean> {
		if (link && this.#waiting(link)) return false;
		if (link) {
			try {
				const api = await this.#api(link);
				await this.#call('delete', () => api.events.delete({ calendarId: link.calendarId, eventId: row.eventId }));
				this.stats.deleted++;
			} catch (error) {
				const kind = error instanceof GoogleError ? error.failure.kind : null;
				// Already gone there (410 deleted, 404): what we wanted.
				if (kind !== 'not_found' && !(error instanceof GoogleError && error.failure.kind === 'gone')) {
					await this.#failed(link, error);
					return false;
				}
			}
		}
		await this.#d.store.calendar.deleteEvent(row.clinicId, row.practitionerId, row.eventId);
		return true;
	}

	// ----- in: Google to the book -----

	/** Lists what changed since the sync token (everything, without one or after a 410) and takes it in. */
	async #pull(link: CalendarLinkRow): Promise<void> {
		const api = await this.#api(link);
		const timeZone = await this.#d.docs.read(docNames.directory(link.clinicId), (d) => clinicProfile(d).timeZone);
		let syncToken = link.syncToken;
		let pageToken: string | undefined;
		let seen = new Set<string>();
		let restarted = false;
		let listed = 0;
		let started = performance.now();
		for (;;) {
			let page: calendar_v3.Schema$Events;
			try {
				page = (
					await this.#call('list', () =>
						api.events.list({
							calendarId: link.calendarId,
							singleEvents: true,
							maxResults: PAGE_SIZE,
							...(syncToken ? { syncToken } : {}),
							...(pageToken ? { pageToken } : {})
						})
					)
				).data;
			} catch (error) {
				if (error instanceof GoogleError && error.failure.kind === 'gone' && !restarted) {
					// The token expired: everything is listed again (SCHEDULE-GOOGLE-6).
					this.#d.logger.info(
						{ clinicId: link.clinicId, practitionerId: link.practitionerId },
						'sync token expired: full listing'
					);
					restarted = true;
					syncToken = null;
					pageToken = undefined;
					seen = new Set();
					listed = 0;
					started = performance.now();
					await this.#d.store.calendar.update(link, { syncToken: null });
					continue;
				}
				throw error;
			}
			// Every listing names the calendar: a link the admin CLI made learns its name here, a renamed one its new name.
			const name = calendarNameOf(page.summary);
			if (name !== null && name !== link.calendarName) {
				link.calendarName = name;
				await this.#d.store.calendar.update(link, { calendarName: name });
			}
			const events = (page.items ?? []).filter((e) => e.id);
			for (const event of events) if (event.status !== 'cancelled') seen.add(event.id!);
			await this.#takeIn(link, events, timeZone);
			this.stats.pulled += events.length;
			listed += events.length;
			if (page.nextPageToken) {
				pageToken = page.nextPageToken;
				continue;
			}
			// A full listing shows only what exists: what the store knew and it did not show was deleted meanwhile.
			if (!syncToken) {
				await this.#forgetUnseen(link, seen, timeZone);
				this.#d.logger.info(
					{
						clinicId: link.clinicId,
						practitionerId: link.practitionerId,
						events: listed,
						ms: Math.round(performance.now() - started)
					},
					'full calendar listing done'
				);
			}
			if (page.nextSyncToken) {
				link.syncToken = page.nextSyncToken;
				await this.#d.store.calendar.update(link, { syncToken: page.nextSyncToken });
			}
			return;
		}
	}

	async #forgetUnseen(link: CalendarLinkRow, seen: Set<string>, timeZone: string): Promise<void> {
		const gone = (await this.#d.store.calendar.eventsOfPractitioner(link.clinicId, link.practitionerId))
			.filter((row) => !seen.has(row.eventId))
			.map((row) => ({ id: row.eventId, status: 'cancelled', etag: `gone-${row.etag ?? ''}` }));
		await this.#takeIn(link, gone, timeZone);
	}

	/**
	 * Events from Google, in the order listed: ours (appointments) one by one; the practitioner's own (busy blocks)
	 * together, each month doc written once for all of them (a full listing of thousands of events is a few writes,
	 * not thousands).
	 */
	async #takeIn(link: CalendarLinkRow, events: readonly calendar_v3.Schema$Event[], timeZone: string): Promise<void> {
		const busy: { event: calendar_v3.Schema$Event; row: CalendarEventRow | null }[] = [];
		for (const event of events) {
			const row = await this.#d.store.calendar.event(link.clinicId, link.practitionerId, event.id!);
			const ours = event.extendedProperties?.private?.[APPOINTMENT_PROPERTY];
			if (!row?.appointmentId && !ours) {
				busy.push({ event, row });
				continue;
			}
			// Ours but unknown: deleted in the book (or before a reconnect), nothing to follow. Ours as last written or
			// read: our own write coming back.
			if (!row?.appointmentId || (row.etag !== null && event.etag === row.etag)) continue;
			await this.#appointmentChangedInGoogle(link, row, event, timeZone);
		}
		if (busy.length > 0) await this.#busyChanged(link, busy, timeZone);
	}

	async #busyChanged(
		link: CalendarLinkRow,
		changed: readonly { event: calendar_v3.Schema$Event; row: CalendarEventRow | null }[],
		timeZone: string
	): Promise<void> {
		const from = todayIn(timeZone).subtract({ days: BUSY_DAYS_BACK }).toString();
		const until = todayIn(timeZone).add({ days: BUSY_DAYS_AHEAD }).toString();
		const byMonth = new Map<string, { key: string; pieces: BusyBlock[] }[]>();
		const rows: { eventId: string; months: string[]; etag: string | null }[] = [];
		for (const { event, row } of changed) {
			const key = busyEventKey(event.id!);
			const times = event.status === 'cancelled' || event.transparency === 'transparent' ? null : wallTimesOf(event, timeZone);
			const pieces = times
				? busyPieces(key, link.practitionerId, times.start, times.end).filter((p) => p.start >= from && p.start <= until)
				: [];
			const months = busyMonths(pieces);
			for (const month of new Set([...(row?.months ?? []), ...months])) {
				const list = byMonth.get(month);
				if (list) list.push({ key, pieces });
				else byMonth.set(month, [{ key, pieces }]);
			}
			rows.push({ eventId: event.id!, months, etag: event.etag ?? null });
		}
		for (const [month, list] of byMonth) {
			const name = docNames.schedule(link.clinicId, month);
			await this.#d.docs.write(name, CALENDAR_ORIGIN, (d) => {
				const schedule = scheduleDoc(name, d);
				for (const { key, pieces } of list) setBusyPieces(schedule, key, pieces);
			});
		}
		const base = { clinicId: link.clinicId, practitionerId: link.practitionerId };
		await this.#d.store.calendar.putEvents(
			rows
				.filter((r) => r.months.length > 0)
				.map((r) => ({ ...base, eventId: r.eventId, appointmentId: null, months: r.months, etag: r.etag, fingerprint: null })),
			rows.filter((r) => r.months.length === 0).map((r) => ({ ...base, eventId: r.eventId }))
		);
	}

	/**
	 * Our event changed in Google. If the book changed the appointment too since the last push, the book wins and
	 * Google's version is recorded (the push then writes the book's over it); else Google's new time moves the
	 * appointment (to another month if need be), and a deletion there cancels it here (SCHEDULE-GOOGLE-4/5).
	 */
	async #appointmentChangedInGoogle(
		link: CalendarLinkRow,
		row: CalendarEventRow,
		event: calendar_v3.Schema$Event,
		timeZone: string
	) {
		const found = await this.#locate(link.clinicId, row.appointmentId!, row.months[0]);
		if (!found) return;
		const { appointment: a, month } = found;
		const context = await this.#context(link.clinicId, null, [a]);
		const bookChanged = fingerprintOf(eventOf(a, context(a))) !== row.fingerprint;
		const keepBook = async () => {
			await this.#keepLostVersion(link, a, month, event);
			await this.#d.store.calendar.putEvent({ ...row, etag: event.etag ?? null, fingerprint: null });
			this.#want(this.#dirty, link.clinicId, month);
		};
		if (event.status === 'cancelled') {
			if (a.status === 'cancelled') return this.#d.store.calendar.deleteEvent(row.clinicId, row.practitionerId, row.eventId);
			if (bookChanged) return keepBook();
			const name = docNames.schedule(link.clinicId, month);
			await this.#d.docs.write(name, CALENDAR_ORIGIN, (d) =>
				changeAppointment(scheduleDoc(name, d), a.id, { status: 'cancelled' })
			);
			return this.#d.store.calendar.deleteEvent(row.clinicId, row.practitionerId, row.eventId);
		}
		const times = wallTimesOf(event, timeZone);
		if (!times) return;
		const minutes = minutesBetween(times.start, times.end, timeZone);
		if (times.start === a.start && minutes === a.durationMinutes) {
			return this.#d.store.calendar.putEvent({ ...row, etag: event.etag ?? null });
		}
		const fits =
			!times.allDay && times.start.slice(0, 10) === times.end.slice(0, 10) && minutes >= 5 && minutes <= MAX_APPOINTMENT_MINUTES;
		if (bookChanged || !fits) return keepBook();
		const moved = await this.#move(link.clinicId, month, a.id, { start: times.start, durationMinutes: minutes });
		const toMonth = monthOf(times.start);
		await this.#d.store.calendar.putEvent({
			...row,
			months: [toMonth],
			etag: event.etag ?? null,
			fingerprint: fingerprintOf(eventOf(moved, context(moved)))
		});
		this.#d.logger.info(
			{ clinicId: link.clinicId, practitionerId: link.practitionerId, appointmentId: a.id },
			'appointment moved in Google Calendar: moved in the book'
		);
	}

	/** Where an appointment is now: the month it was pushed from, or where a move took it since. */
	async #locate(
		clinicId: string,
		id: string,
		month: string | undefined
	): Promise<{ appointment: Appointment; month: string } | null> {
		let at = month;
		for (let hops = 0; at && hops < 4; hops++) {
			const name = docNames.schedule(clinicId, at);
			const here = await this.#d.docs.read(name, (d) => {
				const entry = appointmentEntries(d).get(id);
				const movedTo = entry instanceof Y.Map ? entry.get('movedTo') : undefined;
				return { appointment: findAppointment(d, id), movedTo: typeof movedTo === 'string' ? movedTo : null };
			});
			if (here.movedTo) at = here.movedTo;
			else return here.appointment ? { appointment: here.appointment, month: at } : null;
		}
		return null;
	}

	/** Moves an appointment to a new start (and length), between month docs if need be, as a device would. */
	async #move(
		clinicId: string,
		month: string,
		id: string,
		change: { start: string; durationMinutes: number }
	): Promise<Appointment> {
		const fromName = docNames.schedule(clinicId, month);
		const toMonth = monthOf(change.start);
		if (toMonth === month) {
			let moved: Appointment | null = null;
			await this.#d.docs.write(
				fromName,
				CALENDAR_ORIGIN,
				(d) => (moved = changeAppointment(scheduleDoc(fromName, d), id, change))
			);
			return moved!;
		}
		const toName = docNames.schedule(clinicId, toMonth);
		const from = await this.#d.docs.get(fromName, CALENDAR_ORIGIN);
		const to = await this.#d.docs.get(toName, CALENDAR_ORIGIN);
		let fromDoc: Y.Doc | null = null;
		await from.transact((d) => (fromDoc = d));
		let result: ReturnType<typeof writeMovedCopy> | null = null;
		// The copy first, durable, then the old entry marked: a crash between them leaves it in both, never in none.
		await to.transact((d) => (result = writeMovedCopy(scheduleDoc(fromName, fromDoc!), scheduleDoc(toName, d), id, change)));
		await to.whenDurable();
		await from.transact((d) => markMovedAway(scheduleDoc(fromName, d), toMonth, id, result!.base));
		await from.whenDurable();
		return result!.appointment;
	}

	// ----- push channels -----

	async #ensureChannel(link: CalendarLinkRow): Promise<void> {
		const origin = this.#d.settings.publicOrigin;
		if (!origin) return;
		if (link.channel && link.channel.expiresAt - this.#now > this.#d.settings.channelRenewMs) return;
		const api = await this.#api(link);
		const id = randomUUID();
		const token = randomBytes(24).toString('base64url');
		const res = await this.#call('watch', () =>
			api.events.watch({
				calendarId: link.calendarId,
				requestBody: {
					id,
					type: 'web_hook',
					address: `${origin}${CALENDAR_WEBHOOK_PATH}`,
					token,
					params: { ttl: String(CHANNEL_TTL_S) }
				}
			})
		);
		const old = link.channel;
		link.channel = {
			id,
			resourceId: res.data.resourceId ?? '',
			tokenHash: sha256(token).toString('base64url'),
			expiresAt: Number(res.data.expiration ?? this.#now + CHANNEL_TTL_S * 1000)
		};
		await this.#d.store.calendar.update(link, { channel: link.channel });
		if (old) await this.#stopChannel(link, old);
	}

	async #stopChannel(link: CalendarLinkRow, channel: { id: string; resourceId: string }): Promise<void> {
		try {
			const api = await this.#api(link);
			await this.#call('stop', () => api.channels.stop({ requestBody: { id: channel.id, resourceId: channel.resourceId } }));
		} catch (error) {
			// It expires by itself within a week; its notifications answer 404 meanwhile.
			this.#d.logger.info({ clinicId: link.clinicId, err: errorMessage(error) }, 'could not stop an old calendar channel');
		}
	}
}
