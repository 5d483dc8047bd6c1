/**
 * A practitioner's Google Calendar connected to the clinic's book (SCHEDULE-GOOGLE-*): one per practitioner. The
 * refresh token is sealed with the clinic's data key above the store; the push channel's token is kept only as a
 * SHA-256 hash (a notification's token is hashed and compared).
 */
export interface CalendarLinkRow {
	clinicId: string;
	practitionerId: string;
	/** Who connected it (the practitioner, or an admin for them). */
	userId: string;
	calendarId: string;
	/**
	 * The calendar's name in Google (its `summary`), for the settings screen; null until known (a link the admin CLI
	 * made, before the server's first listing). Not patient data.
	 */
	calendarName: string | null;
	sealedRefreshToken: Buffer;
	/** Google's `nextSyncToken` after the last complete listing; null until the first full sync (and after a 410). */
	syncToken: string | null;
	channel: CalendarChannel | null;
	/** No call to Google before this (backoff after 429/403 rate limits/5xx); 0 when none is due. */
	retryAt: number;
	failures: number;
	/** The last error's kind (no content), for the settings screen and the log. */
	lastError: string | null;
	createdAt: number;
}

/** The `events.watch` channel Google pushes this calendar's changes on. */
export interface CalendarChannel {
	id: string;
	resourceId: string;
	tokenHash: string;
	/** ms since epoch; the channel is renewed before it. */
	expiresAt: number;
}

/**
 * One Google event the book knows: ours (an appointment we inserted, `appointmentId` set) or a practitioner's own
 * (a busy block, `appointmentId` null).
 */
export interface CalendarEventRow {
	clinicId: string;
	practitionerId: string;
	eventId: string;
	appointmentId: string | null;
	/** Ours: the month doc the appointment was in when last pushed. Busy: the months its pieces are kept in. */
	months: string[];
	/** Google's etag of the version we last wrote or read. */
	etag: string | null;
	/** Ours: the fingerprint of what we last sent (or took in from Google). */
	fingerprint: string | null;
}

/** One connection of a practitioner's calendar: reconnecting makes another (`createdAt` later). */
export type LinkIdentity = Pick<CalendarLinkRow, 'clinicId' | 'practitionerId' | 'createdAt'>;

export type CalendarLinkChange = Partial<
	Pick<CalendarLinkRow, 'syncToken' | 'channel' | 'retryAt' | 'failures' | 'lastError' | 'calendarId' | 'calendarName'>
>;

export interface CalendarRepository {
	/** Connects (or reconnects, replacing token, calendar and sync state) a practitioner's calendar. */
	connect(row: CalendarLinkRow): Promise<void>;
	disconnect(clinicId: string, practitionerId: string): Promise<boolean>;
	link(clinicId: string, practitionerId: string): Promise<CalendarLinkRow | null>;
	linksForClinic(clinicId: string): Promise<CalendarLinkRow[]>;
	allLinks(): Promise<CalendarLinkRow[]>;
	byChannel(channelId: string): Promise<CalendarLinkRow | null>;
	/**
	 * Changes this connection of a practitioner's calendar (the link as read, named by its `createdAt`). False when
	 * the link is gone or was replaced by a reconnection since: a sync of the old calendar still running then writes
	 * nothing (its sync token, channel or backoff) into the new one.
	 */
	update(link: LinkIdentity, change: CalendarLinkChange): Promise<boolean>;
	event(clinicId: string, practitionerId: string, eventId: string): Promise<CalendarEventRow | null>;
	eventsOfAppointment(clinicId: string, appointmentId: string): Promise<CalendarEventRow[]>;
	/** Every event the book knows in a practitioner's calendar (ours and busy blocks). */
	eventsOfPractitioner(clinicId: string, practitionerId: string): Promise<CalendarEventRow[]>;
	/** Our events last pushed from this month doc. */
	eventsOfMonth(clinicId: string, month: string): Promise<CalendarEventRow[]>;
	putEvent(row: CalendarEventRow): Promise<void>;
	/** Several events stored and others forgotten in one transaction (a page of a listing: one commit, not hundreds). */
	putEvents(
		rows: readonly CalendarEventRow[],
		forget: readonly Pick<CalendarEventRow, 'clinicId' | 'practitionerId' | 'eventId'>[]
	): Promise<void>;
	deleteEvent(clinicId: string, practitionerId: string, eventId: string): Promise<void>;
	/** Forgets every event of a practitioner's calendar (disconnected, or reconnected to another calendar). */
	forgetEvents(clinicId: string, practitionerId: string): Promise<void>;
}
