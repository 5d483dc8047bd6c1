import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
	busyMonths,
	busyPieces,
	listBusy,
	lostVersions,
	recordLostVersion,
	setBusyPieces
} from '../../src/lib/domain/calendarBusy.ts';
import { initialsOf, readCalendarShare, setCalendarShare } from '../../src/lib/domain/calendarSettings.ts';
import { addAppointment, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { eventIdOf, eventOf, fingerprintOf, minutesBetween, wallTimesOf } from '../../server/calendar/eventBody.ts';
import { classifyFailure } from '../../server/calendar/google.ts';
import { newLinkRow } from '../../server/calendar/links.ts';
import { Keyring } from '../../server/crypto/index.ts';

const NOV = 'c1/schedule/2026-11';
const DEC = 'c1/schedule/2026-12';

describe('busy blocks from a practitioner’s Google Calendar', () => {
	it('cuts a busy time into a piece per day, each kept in its own month', () => {
		const pieces = busyPieces('ev1', 'p1', '2026-11-30T22:00', '2026-12-01T02:30');
		expect(pieces.map((p) => [p.key, p.start, p.durationMinutes])).toEqual([
			['ev1:2026-11-30', '2026-11-30T22:00', 120],
			['ev1:2026-12-01', '2026-12-01T00:00', 150]
		]);
		expect(busyMonths(pieces)).toEqual(['2026-11', '2026-12']);
		const nov = new Y.Doc();
		const dec = new Y.Doc();
		setBusyPieces(scheduleDoc(NOV, nov), 'ev1', pieces);
		setBusyPieces(scheduleDoc(DEC, dec), 'ev1', pieces);
		expect(listBusy(nov).map((b) => b.key)).toEqual(['ev1:2026-11-30']);
		expect(listBusy(dec, '2026-12-01')[0]).toMatchObject({ eventKey: 'ev1', practitionerId: 'p1', durationMinutes: 150 });
	});

	it('an all-day event blocks whole days; a moved event leaves no piece behind; a deleted one none at all', () => {
		expect(busyPieces('ev2', 'p1', '2026-11-10T00:00', '2026-11-12T00:00').map((p) => p.durationMinutes)).toEqual([1440, 1440]);
		const doc = new Y.Doc();
		const schedule = scheduleDoc(NOV, doc);
		setBusyPieces(schedule, 'ev2', busyPieces('ev2', 'p1', '2026-11-10T00:00', '2026-11-12T00:00'));
		setBusyPieces(schedule, 'ev2', busyPieces('ev2', 'p1', '2026-11-11T09:00', '2026-11-11T10:00'));
		expect(listBusy(doc).map((b) => [b.start, b.durationMinutes])).toEqual([['2026-11-11T09:00', 60]]);
		setBusyPieces(schedule, 'ev2', []);
		expect(listBusy(doc)).toEqual([]);
	});

	it('bounds what one event can write: at most 62 days, nothing for an empty or reversed time', () => {
		expect(busyPieces('ev3', 'p1', '2026-01-01T00:00', '2027-01-01T00:00')).toHaveLength(62);
		expect(busyPieces('ev3', 'p1', '2026-11-10T10:00', '2026-11-10T10:00')).toEqual([]);
		expect(busyPieces('ev3', 'p1', '2026-11-10T10:00', '2026-11-10T09:00')).toEqual([]);
	});

	it('skips entries a device could not have meant (bad times, pieces filed under another day)', () => {
		const doc = new Y.Doc();
		doc.getMap('busy').set('ev4:2026-11-10', { practitionerId: 'p1', start: '2026-11-11T09:00', durationMinutes: 30 });
		doc.getMap('busy').set('ev5:2026-11-10', { practitionerId: 'p1', start: 'soon', durationMinutes: 30 });
		expect(listBusy(doc)).toEqual([]);
	});

	it('keeps the versions Google had when the book won, on the appointment', () => {
		const doc = new Y.Doc();
		const schedule = scheduleDoc(NOV, doc);
		const a = addAppointment(schedule, { practitionerId: 'p1', patientId: 'c1', start: '2026-11-10T10:00', durationMinutes: 30 });
		recordLostVersion(schedule, a.id, {
			id: 'l1',
			at: '2026-11-09T08:00:00.000Z',
			start: '2026-11-10T15:00',
			durationMinutes: 45
		});
		recordLostVersion(schedule, a.id, { id: 'l2', at: '2026-11-09T09:00:00.000Z', deleted: true });
		expect(lostVersions(doc, a.id)).toEqual([
			{ id: 'l1', at: '2026-11-09T08:00:00.000Z', start: '2026-11-10T15:00', durationMinutes: 45 },
			{ id: 'l2', at: '2026-11-09T09:00:00.000Z', deleted: true }
		]);
	});
});

describe('what goes to Google', () => {
	const appointment = {
		id: 'a1',
		practitionerId: 'p1',
		patientId: 'c1',
		start: '2026-11-10T23:00',
		durationMinutes: 45,
		note: 'private',
		status: 'booked',
		source: 'desk'
	} as const;
	const context = { timeZone: 'Europe/Istanbul', patientName: 'İpek Şahin', serviceName: 'Dolgu', language: 'tr' } as const;

	it('by default the service and the patient’s initials, never the name or the note; the name or nothing if the clinic says so', () => {
		const event = eventOf(appointment, { ...context, share: 'initials' });
		expect(event.summary).toBe('Dolgu · İ. Ş.');
		expect(JSON.stringify(event)).not.toMatch(/İpek|Şahin|kanama/);
		expect(eventOf(appointment, { ...context, share: 'name' }).summary).toBe('Dolgu · İpek Şahin');
		expect(eventOf(appointment, { ...context, share: 'busy' }).summary).toBe('Randevu');
		expect(initialsOf('  ılgın  öztürk ')).toBe('I. Ö.');
	});

	it('times are instants of the clinic’s zone, also seen from a device elsewhere; 23:00 + 45 min ends 23:45', () => {
		const event = eventOf(appointment, { ...context, share: 'initials' });
		expect(event.start).toEqual({ dateTime: '2026-11-10T20:00:00.000Z', timeZone: 'Europe/Istanbul' });
		expect(event.end).toEqual({ dateTime: '2026-11-10T20:45:00.000Z', timeZone: 'Europe/Istanbul' });
		expect(
			wallTimesOf(
				{ start: { dateTime: '2026-11-10T20:00:00Z' }, end: { dateTime: '2026-11-10T23:45:00+03:00' } },
				'Europe/Istanbul'
			)
		).toEqual({
			start: '2026-11-10T23:00',
			end: '2026-11-10T23:45',
			allDay: false
		});
		expect(wallTimesOf({ start: { date: '2026-11-10' }, end: { date: '2026-11-11' } }, 'Europe/Istanbul')).toEqual({
			start: '2026-11-10T00:00',
			end: '2026-11-11T00:00',
			allDay: true
		});
		expect(wallTimesOf({ start: { dateTime: 'yesterday' }, end: {} }, 'Europe/Istanbul')).toBeNull();
		// A day with a DST change: 01:30 to 03:30 in Berlin's spring-forward night is one hour.
		expect(minutesBetween('2026-03-29T01:30', '2026-03-29T03:30', 'Europe/Berlin')).toBe(60);
	});

	it('the event id is ours, in Google’s alphabet, the same for the same appointment and different for another', () => {
		const id = eventIdOf('3be6snqhc47l3332');
		expect(id).toMatch(/^[a-v0-9]{5,1024}$/);
		expect(eventIdOf('3be6snqhc47l3332')).toBe(id);
		expect(eventIdOf('3be6snqhc47l3333')).not.toBe(id);
	});

	it('the fingerprint changes with what is sent and only with it', () => {
		const a = eventOf(appointment, { ...context, share: 'initials' });
		expect(fingerprintOf(a)).toBe(
			fingerprintOf(eventOf({ ...appointment, note: 'another note' }, { ...context, share: 'initials' }))
		);
		expect(fingerprintOf(a)).not.toBe(
			fingerprintOf(eventOf({ ...appointment, durationMinutes: 30 }, { ...context, share: 'initials' }))
		);
		expect(fingerprintOf(a)).not.toBe(fingerprintOf(eventOf(appointment, { ...context, share: 'name' })));
	});
});

describe('the clinic setting and Google’s answers', () => {
	it('what goes to Google is initials unless an admin chose otherwise; a bad value reads as the default', () => {
		const directory = new Y.Doc();
		expect(readCalendarShare(directory)).toBe('initials');
		setCalendarShare(directory, 'name');
		expect(readCalendarShare(directory)).toBe('name');
		expect(() => setCalendarShare(directory, 'everything' as 'name')).toThrow();
		directory.getMap('calendar').set('share', 'everything');
		expect(readCalendarShare(directory)).toBe('initials');
	});

	it('rate limits and outages are retried, an expired token relisted, a revoked grant needs a person', () => {
		const failed = (status: number, reason?: string, data?: unknown) => ({
			response: { status, data: data ?? { error: { errors: [{ reason }] } } }
		});
		expect(classifyFailure(failed(429))).toEqual({ kind: 'retry', reason: 'rateLimitExceeded' });
		expect(classifyFailure(failed(403, 'userRateLimitExceeded'))).toEqual({ kind: 'retry', reason: 'userRateLimitExceeded' });
		expect(classifyFailure(failed(503, 'backendError'))).toEqual({ kind: 'retry', reason: 'backendError' });
		expect(classifyFailure({ code: 'ECONNRESET' })).toEqual({ kind: 'retry', reason: 'ECONNRESET' });
		expect(classifyFailure(failed(410, 'fullSyncRequired'))).toEqual({ kind: 'gone' });
		expect(classifyFailure(failed(412, 'conditionNotMet'))).toEqual({ kind: 'conflict' });
		expect(classifyFailure(failed(409, 'duplicate'))).toEqual({ kind: 'duplicate' });
		expect(classifyFailure(failed(400, undefined, { error: 'invalid_grant' }))).toEqual({
			kind: 'auth',
			reason: 'invalid_grant'
		});
		expect(classifyFailure(failed(403, 'forbidden'))).toEqual({ kind: 'auth', reason: 'forbidden' });
		expect(classifyFailure(failed(400, 'invalid'))).toEqual({ kind: 'refused', status: 400, reason: 'invalid' });
	});
});

describe('a connection of a practitioner’s calendar', () => {
	it('SCHEDULE-GOOGLE-14 is named later than the one it replaces, even within the same millisecond', async () => {
		const source = new Map<string, Buffer>();
		const ring = new Keyring(randomBytes(32), { getWrappedKey: async (id: string) => source.get(id) ?? null });
		source.set('c1', ring.newWrappedKey('c1'));
		const input = { clinicId: 'c1', practitionerId: 'p1', userId: 'u1', calendarId: 'dr@example.com', refreshToken: 'r1' };
		const first = await newLinkRow(ring, input, 1_000, null);
		expect(first.createdAt).toBe(1_000);
		expect((await newLinkRow(ring, input, 1_000, first)).createdAt).toBe(1_001);
		expect((await newLinkRow(ring, input, 5_000, first)).createdAt).toBe(5_000);
		expect(first.sealedRefreshToken.includes(Buffer.from('r1'))).toBe(false);
	});
});
