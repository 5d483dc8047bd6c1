import type Database from 'better-sqlite3';
import type {
	CalendarChannel,
	CalendarEventRow,
	CalendarLinkChange,
	CalendarLinkRow,
	CalendarRepository,
	LinkIdentity
} from '../calendar.ts';

interface LinkTableRow {
	clinic_id: string;
	practitioner_id: string;
	user_id: string;
	calendar_id: string;
	calendar_name: string | null;
	sealed_refresh_token: Buffer;
	sync_token: string | null;
	channel: string | null;
	retry_at: number;
	failures: number;
	last_error: string | null;
	created_at: number;
}

interface EventTableRow {
	clinic_id: string;
	practitioner_id: string;
	event_id: string;
	appointment_id: string | null;
	months: string;
	etag: string | null;
	fingerprint: string | null;
}

const linkOf = (r: LinkTableRow): CalendarLinkRow => ({
	clinicId: r.clinic_id,
	practitionerId: r.practitioner_id,
	userId: r.user_id,
	calendarId: r.calendar_id,
	calendarName: r.calendar_name,
	sealedRefreshToken: r.sealed_refresh_token,
	syncToken: r.sync_token,
	channel: r.channel === null ? null : (JSON.parse(r.channel) as CalendarChannel),
	retryAt: r.retry_at,
	failures: r.failures,
	lastError: r.last_error,
	createdAt: r.created_at
});

const eventOf = (r: EventTableRow): CalendarEventRow => ({
	clinicId: r.clinic_id,
	practitionerId: r.practitioner_id,
	eventId: r.event_id,
	appointmentId: r.appointment_id,
	months: r.months === '' ? [] : r.months.split(','),
	etag: r.etag,
	fingerprint: r.fingerprint
});

const COLUMNS: Record<keyof CalendarLinkChange, string> = {
	syncToken: 'sync_token',
	channel: 'channel',
	retryAt: 'retry_at',
	failures: 'failures',
	lastError: 'last_error',
	calendarId: 'calendar_id',
	calendarName: 'calendar_name'
};

export class SqliteCalendar implements CalendarRepository {
	readonly #db: Database.Database;
	readonly #connect;
	readonly #forget;
	readonly #put;
	readonly #delete;

	constructor(db: Database.Database) {
		this.#db = db;
		this.#put = db.prepare<[string, string, string, string | null, string, string | null, string | null]>(
			`INSERT INTO calendar_events (clinic_id, practitioner_id, event_id, appointment_id, months, etag, fingerprint)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (clinic_id, practitioner_id, event_id) DO UPDATE SET appointment_id = excluded.appointment_id,
				months = excluded.months, etag = excluded.etag, fingerprint = excluded.fingerprint`
		);
		this.#delete = db.prepare<[string, string, string]>(
			'DELETE FROM calendar_events WHERE clinic_id = ? AND practitioner_id = ? AND event_id = ?'
		);
		this.#connect = db.prepare(
			`INSERT INTO calendar_links (clinic_id, practitioner_id, user_id, calendar_id, calendar_name, sealed_refresh_token, sync_token,
				channel, channel_id, retry_at, failures, last_error, created_at)
			VALUES (@clinicId, @practitionerId, @userId, @calendarId, @calendarName, @sealedRefreshToken, @syncToken, @channel, @channelId,
				@retryAt, @failures, @lastError, @createdAt)
			ON CONFLICT (clinic_id, practitioner_id) DO UPDATE SET user_id = excluded.user_id, calendar_id = excluded.calendar_id,
				calendar_name = excluded.calendar_name, sealed_refresh_token = excluded.sealed_refresh_token,
				sync_token = excluded.sync_token, channel = excluded.channel, channel_id = excluded.channel_id,
				retry_at = excluded.retry_at, failures = excluded.failures, last_error = excluded.last_error,
				created_at = excluded.created_at`
		);
		this.#forget = db.prepare<[string, string]>('DELETE FROM calendar_events WHERE clinic_id = ? AND practitioner_id = ?');
	}

	async connect(row: CalendarLinkRow) {
		this.#db.transaction(() => {
			const before = this.#db
				.prepare<[string, string], { calendar_id: string }>(
					'SELECT calendar_id FROM calendar_links WHERE clinic_id = ? AND practitioner_id = ?'
				)
				.get(row.clinicId, row.practitionerId);
			// Another calendar: what the book knew of the old one no longer says anything.
			if (before && before.calendar_id !== row.calendarId) this.#forget.run(row.clinicId, row.practitionerId);
			this.#connect.run({
				...row,
				channel: row.channel === null ? null : JSON.stringify(row.channel),
				channelId: row.channel?.id ?? null
			});
		})();
	}

	async disconnect(clinicId: string, practitionerId: string) {
		return this.#db.transaction(() => {
			this.#forget.run(clinicId, practitionerId);
			return (
				this.#db.prepare('DELETE FROM calendar_links WHERE clinic_id = ? AND practitioner_id = ?').run(clinicId, practitionerId)
					.changes > 0
			);
		})();
	}

	async link(clinicId: string, practitionerId: string) {
		const row = this.#db
			.prepare<[string, string], LinkTableRow>('SELECT * FROM calendar_links WHERE clinic_id = ? AND practitioner_id = ?')
			.get(clinicId, practitionerId);
		return row ? linkOf(row) : null;
	}

	async linksForClinic(clinicId: string) {
		return this.#db
			.prepare<[string], LinkTableRow>('SELECT * FROM calendar_links WHERE clinic_id = ? ORDER BY created_at')
			.all(clinicId)
			.map(linkOf);
	}

	async allLinks() {
		return this.#db.prepare<[], LinkTableRow>('SELECT * FROM calendar_links ORDER BY clinic_id, created_at').all().map(linkOf);
	}

	async byChannel(channelId: string) {
		const row = this.#db.prepare<[string], LinkTableRow>('SELECT * FROM calendar_links WHERE channel_id = ?').get(channelId);
		return row ? linkOf(row) : null;
	}

	async update({ clinicId, practitionerId, createdAt }: LinkIdentity, change: CalendarLinkChange) {
		const sets: string[] = [];
		const values: unknown[] = [];
		for (const [key, value] of Object.entries(change) as [keyof CalendarLinkChange, unknown][]) {
			if (value === undefined) continue;
			sets.push(`${COLUMNS[key]} = ?`);
			if (key === 'channel') {
				const channel = value as CalendarChannel | null;
				values.push(channel === null ? null : JSON.stringify(channel));
				sets.push('channel_id = ?');
				values.push(channel?.id ?? null);
			} else values.push(value);
		}
		if (sets.length === 0) return (await this.link(clinicId, practitionerId))?.createdAt === createdAt;
		return (
			this.#db
				.prepare(`UPDATE calendar_links SET ${sets.join(', ')} WHERE clinic_id = ? AND practitioner_id = ? AND created_at = ?`)
				.run(...values, clinicId, practitionerId, createdAt).changes > 0
		);
	}

	async event(clinicId: string, practitionerId: string, eventId: string) {
		const row = this.#db
			.prepare<[string, string, string], EventTableRow>(
				'SELECT * FROM calendar_events WHERE clinic_id = ? AND practitioner_id = ? AND event_id = ?'
			)
			.get(clinicId, practitionerId, eventId);
		return row ? eventOf(row) : null;
	}

	async eventsOfAppointment(clinicId: string, appointmentId: string) {
		return this.#db
			.prepare<[string, string], EventTableRow>('SELECT * FROM calendar_events WHERE clinic_id = ? AND appointment_id = ?')
			.all(clinicId, appointmentId)
			.map(eventOf);
	}

	async eventsOfPractitioner(clinicId: string, practitionerId: string) {
		return this.#db
			.prepare<[string, string], EventTableRow>('SELECT * FROM calendar_events WHERE clinic_id = ? AND practitioner_id = ?')
			.all(clinicId, practitionerId)
			.map(eventOf);
	}

	async eventsOfMonth(clinicId: string, month: string) {
		return this.#db
			.prepare<[string, string], EventTableRow>(
				'SELECT * FROM calendar_events WHERE clinic_id = ? AND appointment_id IS NOT NULL AND months = ?'
			)
			.all(clinicId, month)
			.map(eventOf);
	}

	async putEvent(row: CalendarEventRow) {
		this.#put.run(
			row.clinicId,
			row.practitionerId,
			row.eventId,
			row.appointmentId,
			row.months.join(','),
			row.etag,
			row.fingerprint
		);
	}

	async putEvents(
		rows: readonly CalendarEventRow[],
		forget: readonly Pick<CalendarEventRow, 'clinicId' | 'practitionerId' | 'eventId'>[]
	) {
		this.#db.transaction(() => {
			for (const row of rows)
				this.#put.run(
					row.clinicId,
					row.practitionerId,
					row.eventId,
					row.appointmentId,
					row.months.join(','),
					row.etag,
					row.fingerprint
				);
			for (const row of forget) this.#delete.run(row.clinicId, row.practitionerId, row.eventId);
		})();
	}

	async deleteEvent(clinicId: string, practitionerId: string, eventId: string) {
		this.#delete.run(clinicId, practitionerId, eventId);
	}

	async forgetEvents(clinicId: string, practitionerId: string) {
		this.#forget.run(clinicId, practitionerId);
	}
}
