import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
	addAppointment,
	cancelAppointment,
	changeAppointment,
	findClashes,
	listAppointments,
	mayDeleteAppointment,
	ScheduleError,
	scheduleDoc
} from '../../src/lib/domain/schedule.ts';

const NAME = 'c1/schedule/2026-11';
const base = { practitionerId: 'p1', start: '2026-11-25T10:00', durationMinutes: 30, patientName: 'Zeynep Arslan' };

function sync(a: Y.Doc, b: Y.Doc) {
	Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
	Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

function received(doc: Y.Doc): Y.Doc {
	const copy = new Y.Doc();
	Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
	return copy;
}

describe('appointment status and who booked it', () => {
	it('a new appointment is booked, records who booked it, and reads back the same elsewhere', () => {
		const doc = new Y.Doc();
		const a = addAppointment(scheduleDoc(NAME, doc), { ...base, createdBy: 'u-reception' });
		expect(a).toMatchObject({ status: 'booked', createdBy: 'u-reception' });
		expect(listAppointments(received(doc))).toEqual([a]);
		// The server's delete rule reads these exact names.
		const stored = doc.getMap('appointments').get(a.id) as Y.Map<unknown>;
		expect(stored.get('createdBy')).toBe('u-reception');
		expect(stored.get('status')).toBe('booked');
	});

	it('an appointment without a booker (older entries, the demo seed) reads without one', () => {
		const doc = new Y.Doc();
		const a = addAppointment(scheduleDoc(NAME, doc), base);
		expect(listAppointments(received(doc))[0]).not.toHaveProperty('createdBy');
		expect(a).not.toHaveProperty('createdBy');
	});

	it('refuses a bad booker id or status and writes nothing', () => {
		const doc = new Y.Doc();
		const before = Y.encodeStateVector(doc);
		expect(() => addAppointment(scheduleDoc(NAME, doc), { ...base, createdBy: 'Not An Id' })).toThrow();
		expect(() => addAppointment(scheduleDoc(NAME, doc), { ...base, status: 'lost' as 'booked' })).toThrow();
		expect(Y.encodeStateVector(doc)).toEqual(before);
	});

	it('a change cannot rewrite who booked it', () => {
		const doc = new Y.Doc();
		const a = addAppointment(scheduleDoc(NAME, doc), { ...base, createdBy: 'u1' });
		changeAppointment(scheduleDoc(NAME, doc), a.id, { createdBy: 'u2' } as never);
		expect(listAppointments(doc)[0].createdBy).toBe('u1');
	});

	it('DOC-READ-1 a bad stored status reads as booked, a bad booker as none; the appointment is still shown', () => {
		const doc = new Y.Doc();
		const map = new Y.Map<unknown>();
		for (const [k, v] of Object.entries({ ...base, note: '', status: 'vanished', createdBy: 'x"><script>' })) map.set(k, v);
		doc.getMap('appointments').set('a1', map);
		expect(listAppointments(received(doc))).toEqual([{ id: 'a1', ...base, note: '', status: 'booked', source: 'desk' }]);
	});

	it('cancelling keeps the appointment in the book, marked cancelled, and frees its time', () => {
		const doc = new Y.Doc();
		const schedule = scheduleDoc(NAME, doc);
		const first = addAppointment(schedule, base);
		const second = addAppointment(schedule, { ...base, start: '2026-11-25T10:15', patientName: 'Can Öztürk' });
		expect(findClashes(listAppointments(doc))).toEqual(new Set([first.id, second.id]));
		expect(cancelAppointment(schedule, first.id)).toMatchObject({ id: first.id, status: 'cancelled' });
		const list = listAppointments(received(doc));
		expect(list.map((a) => [a.patientName, a.status])).toEqual([
			['Zeynep Arslan', 'cancelled'],
			['Can Öztürk', 'booked']
		]);
		expect(findClashes(list).size).toBe(0);
		expect(() => cancelAppointment(schedule, 'missing')).toThrow(ScheduleError);
	});

	it('a move does not undo a cancellation made on another device (changes carry no defaults)', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const appt = addAppointment(scheduleDoc(NAME, a), { ...base, note: 'first visit' });
		sync(a, b);
		cancelAppointment(scheduleDoc(NAME, a), appt.id);
		changeAppointment(scheduleDoc(NAME, b), appt.id, { start: '2026-11-25T11:00' });
		sync(a, b);
		expect(listAppointments(a)).toEqual(listAppointments(b));
		expect(listAppointments(a)[0]).toMatchObject({ status: 'cancelled', start: '2026-11-25T11:00', note: 'first visit' });
	});

	it('status moves through the day: confirmed, arrived, completed, no-show', () => {
		const doc = new Y.Doc();
		const a = addAppointment(scheduleDoc(NAME, doc), base);
		for (const status of ['confirmed', 'arrived', 'completed', 'no_show'] as const) {
			changeAppointment(scheduleDoc(NAME, doc), a.id, { status });
			expect(listAppointments(doc)[0].status).toBe(status);
		}
	});
});

describe('who may delete an appointment (anyone may cancel)', () => {
	const ownBooking = { createdBy: 'u-reception' };
	it('admins and practitioners may delete any appointment', () => {
		for (const role of ['admin', 'practitioner'] as const) {
			expect(mayDeleteAppointment({ id: 'u-other', role }, ownBooking)).toBe(true);
			expect(mayDeleteAppointment({ id: 'u-other', role }, {})).toBe(true);
		}
	});

	it('reception may delete only what it booked itself, and not older appointments with no booker', () => {
		expect(mayDeleteAppointment({ id: 'u-reception', role: 'reception' }, ownBooking)).toBe(true);
		expect(mayDeleteAppointment({ id: 'u-other', role: 'reception' }, ownBooking)).toBe(false);
		expect(mayDeleteAppointment({ id: 'u-reception', role: 'reception' }, {})).toBe(false);
	});
});
