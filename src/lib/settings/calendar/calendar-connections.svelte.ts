import { api } from '$lib/api/client.ts';
import { docNames } from '$lib/domain/docName.ts';
import { listPractitioners, type Practitioner } from '$lib/domain/directory.ts';
import type { Role } from '$lib/domain/roles.ts';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';
import type { ClinicSync, DocHandle } from '$lib/sync/clinic-sync.svelte.ts';
import { watchDoc } from '$lib/sync/watchDoc.ts';
import {
	callFailure,
	errorCodeIs,
	primaryFirst,
	type CalendarLink,
	type CalendarStatus,
	type GoogleCalendar
} from './calendarLinks.ts';

/** Either what the call returned or the message to show; nothing changed on the server on failure. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; message: MessageKey };

async function attempt<T>(call: () => Promise<T>): Promise<Outcome<T>> {
	try {
		return { ok: true, value: await call() };
	} catch (error) {
		return { ok: false, message: callFailure(error) };
	}
}

/**
 * Practitioners' Google Calendars as the settings screen connects them (SCHEDULE-GOOGLE-UI-5): the server's status
 * (`calendar.status`, read again after every change and when the device is back online), the directory's
 * practitioners for their names, and the calls of the OAuth flow. An admin acts for every practitioner, a
 * practitioner for their own only (the server refuses the others). Holds the directory doc until `destroy()`.
 */
export class CalendarConnections {
	status = $state<CalendarStatus | null>(null);
	loadError = $state<MessageKey | null>(null);
	practitioners = $state<Practitioner[]>([]);
	/** A practitioner's own practitioner: its id, null when their account has none, undefined until known. */
	own = $state<string | null | undefined>(undefined);
	/** The calendars of the account just allowed, by practitioner, primary first. */
	calendars = $state<Record<string, GoogleCalendar[]>>({});
	/** The last failure of a call for a practitioner, shown in their row. */
	problems = $state<Record<string, MessageKey>>({});
	/** Practitioners with a call under way (their buttons wait). */
	busy = $state<Record<string, boolean>>({});

	readonly #sync: ClinicSync;
	readonly #role: Role;
	readonly #directory: DocHandle;
	#destroyed = false;

	constructor(sync: ClinicSync, user: { clinicId: string; role: Role }) {
		this.#sync = sync;
		this.#role = user.role;
		const directory = docNames.directory(user.clinicId);
		this.#directory = watchDoc(sync, directory, (doc) => {
			this.practitioners = listPractitioners(doc);
		});
	}

	/** Connecting goes through the server and Google: offline, nothing of it can be done. */
	get online(): boolean {
		return this.#sync.browserOnline;
	}

	/** The practitioners whose calendars this person manages: every one (inactive ones only if linked), or their own. */
	get rows(): Practitioner[] {
		if (this.#role === 'admin') return this.practitioners.filter((p) => p.active || this.linkOf(p.id) !== undefined);
		return this.practitioners.filter((p) => p.id === this.own);
	}

	linkOf(practitionerId: string): CalendarLink | undefined {
		return this.status?.links.find((l) => l.practitionerId === practitionerId);
	}

	async load(): Promise<void> {
		const outcome = await attempt(() => api.calendar.status.query());
		if (this.#destroyed) return;
		if (!outcome.ok) {
			this.loadError = outcome.message;
			return;
		}
		this.status = outcome.value;
		this.loadError = null;
		this.own = outcome.value.own;
		// A consent waiting for its calendar: the picker needs the account's calendars.
		for (const link of outcome.value.links)
			if (link.pending && !this.calendars[link.practitionerId]) await this.loadCalendars(link.practitionerId);
	}

	/** The URL of Google's consent screen for this practitioner's calendar (the browser goes there). */
	connectUrl(practitionerId: string): Promise<Outcome<string>> {
		return this.#run(practitionerId, async () => (await api.calendar.connectUrl.mutate({ practitionerId })).url);
	}

	async loadCalendars(practitionerId: string): Promise<void> {
		const outcome = await this.#run(practitionerId, () => api.calendar.calendars.query({ practitionerId }));
		if (outcome.ok) this.calendars = { ...this.calendars, [practitionerId]: primaryFirst(outcome.value) };
	}

	async pick(practitionerId: string, calendarId: string): Promise<Outcome<unknown>> {
		const outcome = await this.#run(practitionerId, () => api.calendar.pick.mutate({ practitionerId, calendarId }));
		if (outcome.ok) {
			const { [practitionerId]: _picked, ...rest } = this.calendars;
			this.calendars = rest;
			await this.load();
		}
		return outcome;
	}

	async disconnect(practitionerId: string): Promise<Outcome<unknown>> {
		const outcome = await this.#run(practitionerId, async () => {
			try {
				return await api.calendar.disconnect.mutate({ practitionerId });
			} catch (error) {
				// Nothing was connected any more (another admin, or only a consent waiting, now dropped): what was asked.
				if (errorCodeIs(error, 'NOT_FOUND')) return { ok: true as const };
				throw error;
			}
		});
		if (outcome.ok) await this.load();
		return outcome;
	}

	async #run<T>(practitionerId: string, call: () => Promise<T>): Promise<Outcome<T>> {
		this.busy = { ...this.busy, [practitionerId]: true };
		const { [practitionerId]: _old, ...others } = this.problems;
		this.problems = others;
		const outcome = await attempt(call);
		this.busy = { ...this.busy, [practitionerId]: false };
		if (!outcome.ok) this.problems = { ...this.problems, [practitionerId]: outcome.message };
		return outcome;
	}

	destroy(): void {
		if (this.#destroyed) return;
		this.#destroyed = true;
		this.#directory.release();
	}
}
