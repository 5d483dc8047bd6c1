import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { bookingMonths, noteBookingMonth, patientAppointments } from '../../src/lib/domain/patientAppointments.ts';
import { patientTimeline } from '../../src/lib/domain/patientTimeline.ts';
import { createPatient, mergePatients, readPatient, recordIds } from '../../src/lib/domain/patients.ts';
import { addAppointment, cancelAppointment, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { moveAppointment } from '../../src/lib/domain/scheduleMoves.ts';

const month = (m: string) => scheduleDoc(`c1/schedule/${m}`, new Y.Doc());
const booking = { practitionerId: 'p1', durationMinutes: 30 };

describe('PATIENT-APPT-1 a patient’s appointments, past and upcoming, in one call', () => {
	it('finds them in the months noted on the record, also a merged record’s, split at now in the clinic’s zone', () => {
		const contacts = new Y.Doc();
		const ayse = createPatient(contacts, { name: 'Ayşe Kaya' });
		const old = createPatient(contacts, { name: 'Ayse Kaya (eski)' });
		const other = createPatient(contacts, { name: 'Can Öztürk' });
		const oct = month('2026-10');
		const nov = month('2026-11');
		const dec = month('2026-12');
		const past = addAppointment(oct, { ...booking, patientId: old, start: '2026-10-05T10:00' });
		const today = addAppointment(nov, { ...booking, patientId: ayse, start: '2026-11-27T09:00' });
		const soon = addAppointment(nov, { ...booking, patientId: ayse, start: '2026-11-27T15:00' });
		const cancelled = addAppointment(nov, { ...booking, patientId: ayse, start: '2026-11-30T15:00' });
		cancelAppointment(nov, cancelled.id);
		addAppointment(nov, { ...booking, patientId: other, start: '2026-11-28T11:00' });
		const moved = addAppointment(nov, { ...booking, patientId: ayse, start: '2026-11-29T10:00' });
		moveAppointment(nov, dec, moved.id, { start: '2026-12-03T10:00' });
		noteBookingMonth(contacts, old, '2026-10');
		for (const m of ['2026-11', '2026-12', '2026-11']) noteBookingMonth(contacts, ayse, m);
		mergePatients(contacts, ayse, old, { at: new Date('2026-11-20T10:00:00Z'), userId: 'u1' });

		const patient = readPatient(contacts, ayse)!;
		const ids = recordIds(patient);
		expect(bookingMonths(contacts, ids)).toEqual(['2026-10', '2026-11', '2026-12']);
		const docs = new Map([oct, nov, dec].map((d) => [d.month, d]));
		// 12:00 in Istanbul on 27 November.
		const now = new Date('2026-11-27T09:00:00Z');
		const list = patientAppointments(
			bookingMonths(contacts, ids).map((m) => docs.get(m)!),
			ids,
			now,
			'Europe/Istanbul'
		);
		expect(list.upcoming.map((a) => [a.start, a.status])).toEqual([
			['2026-11-27T15:00', 'booked'],
			['2026-11-30T15:00', 'cancelled'],
			['2026-12-03T10:00', 'booked']
		]);
		expect(list.past.map((a) => a.id)).toEqual([today.id, past.id]);

		// In the timeline, by when they start, among the rest.
		const timeline = patientTimeline(patient, [], undefined, { list, timeZone: 'Europe/Istanbul' });
		const appointments = timeline.filter((i) => i.kind === 'appointment');
		expect(appointments.map((i) => i.at)).toEqual([
			'2026-12-03T07:00:00.000Z',
			'2026-11-30T12:00:00.000Z',
			'2026-11-27T12:00:00.000Z',
			'2026-11-27T06:00:00.000Z',
			'2026-10-05T07:00:00.000Z'
		]);
		expect(appointments[2]).toMatchObject({ upcoming: true, appointment: { id: soon.id } });
		expect(timeline[0].kind).toBe('appointment');
	});

	it('refuses a month that is not one, and writes nothing', () => {
		const contacts = new Y.Doc();
		const id = createPatient(contacts, { name: 'Deniz' });
		const before = Y.encodeStateVector(contacts);
		expect(() => noteBookingMonth(contacts, id, '2026-13')).toThrow();
		expect(Y.encodeStateVector(contacts)).toEqual(before);
	});
});
