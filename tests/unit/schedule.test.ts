import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { addPractitioner, listPractitioners } from '../../src/lib/domain/directory.ts';
import {
	addAppointment,
	changeAppointment,
	deleteAppointment,
	findClashes,
	listAppointments,
	ScheduleError,
	scheduleDoc
} from '../../src/lib/domain/schedule.ts';

const base = { practitionerId: 'p1', start: '2026-11-25T10:00', durationMinutes: 30, patientName: 'Zeynep Arslan' };

function sync(a: Y.Doc, b: Y.Doc) {
	Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
	Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

describe('schedule doc operations', () => {
	it('SCHEDULE-APPT-1 add, list by day, move, delete', () => {
		const doc = new Y.Doc();
		const a = addAppointment(scheduleDoc('c1/schedule/2026-11', doc), base);
		addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, start: '2026-11-26T09:00' });
		expect(listAppointments(doc, '2026-11-25')).toEqual([{ ...base, id: a.id, note: '', status: 'booked', source: 'desk' }]);
		changeAppointment(scheduleDoc('c1/schedule/2026-11', doc), a.id, { start: '2026-11-25T11:15', practitionerId: 'p2' });
		expect(listAppointments(doc, '2026-11-25')[0]).toMatchObject({ start: '2026-11-25T11:15', practitionerId: 'p2' });
		deleteAppointment(doc, a.id);
		expect(listAppointments(doc, '2026-11-25')).toEqual([]);
		expect(listAppointments(doc)).toHaveLength(1);
	});

	it('refuses bad input and changes nothing', () => {
		const doc = new Y.Doc();
		const before = Y.encodeStateAsUpdate(doc);
		expect(() => addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, start: '2026-11-31T10:00' })).toThrow(
			/2026-11-25T10:30/
		);
		expect(() => addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, start: '2026-12-01T10:00' })).toThrow(
			ScheduleError
		);
		expect(() => addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, durationMinutes: 0 })).toThrow();
		expect(() => addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...base, patientName: '   ' })).toThrow();
		expect(() => changeAppointment(scheduleDoc('c1/schedule/2026-11', doc), 'missing', { durationMinutes: 45 })).toThrow(
			/no such appointment/
		);
		expect(() => deleteAppointment(doc, 'missing')).toThrow(/no such appointment/);
		expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
	});

	it('keeps both edits when two devices change different fields offline', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const appt = addAppointment(scheduleDoc('c1/schedule/2026-11', a), base);
		sync(a, b);
		changeAppointment(scheduleDoc('c1/schedule/2026-11', a), appt.id, { start: '2026-11-25T14:00' });
		changeAppointment(scheduleDoc('c1/schedule/2026-11', b), appt.id, { patientName: 'Zeynep Arslan-Kaya' });
		sync(a, b);
		expect(listAppointments(a)).toEqual(listAppointments(b));
		expect(listAppointments(a)[0]).toMatchObject({ start: '2026-11-25T14:00', patientName: 'Zeynep Arslan-Kaya' });
	});

	it('shows double bookings made offline as clashes instead of dropping one', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const x = addAppointment(scheduleDoc('c1/schedule/2026-11', a), base);
		const y = addAppointment(scheduleDoc('c1/schedule/2026-11', b), {
			...base,
			start: '2026-11-25T10:15',
			patientName: 'Can Öztürk'
		});
		const z = addAppointment(scheduleDoc('c1/schedule/2026-11', b), { ...base, start: '2026-11-25T10:30', practitionerId: 'p2' });
		sync(a, b);
		const all = listAppointments(a);
		expect(all).toHaveLength(3);
		expect(findClashes(all)).toEqual(new Set([x.id, y.id]));
		expect(findClashes(all).has(z.id)).toBe(false);
	});
});

describe('directory doc operations', () => {
	it('lists practitioners in the order they were added, not by name', () => {
		const doc = new Y.Doc();
		addPractitioner(doc, { name: 'Dr. Şule' });
		addPractitioner(doc, { name: 'Dr. Sema', color: '#123456' });
		expect(listPractitioners(doc).map((p) => p.name)).toEqual(['Dr. Şule', 'Dr. Sema']);
		expect(() => addPractitioner(doc, { name: '' })).toThrow();
	});
});

describe('an appointment ends on the day it starts', () => {
	it('SCHEDULE-APPT-2 23:30 + 120 minutes is refused on booking and on change, and nothing is written', async () => {
		const { addAppointment, changeAppointment, listAppointments, scheduleDoc, ENDS_AFTER_MIDNIGHT } =
			await import('../../src/lib/domain/schedule.ts');
		const Y = await import('yjs');
		const doc = new Y.Doc();
		const schedule = scheduleDoc('c1/schedule/2026-11', doc);
		const input = { practitionerId: 'p1', start: '2026-11-26T23:30', durationMinutes: 120, patientName: 'Late' };
		expect(() => addAppointment(schedule, input)).toThrow(ENDS_AFTER_MIDNIGHT);
		expect(listAppointments(doc)).toEqual([]);
		const ok = addAppointment(schedule, { ...input, durationMinutes: 30 });
		expect(() => changeAppointment(schedule, ok.id, { durationMinutes: 45 })).toThrow(ENDS_AFTER_MIDNIGHT);
		expect(listAppointments(doc)[0].durationMinutes).toBe(30);
		expect(changeAppointment(schedule, ok.id, { start: '2026-11-26T22:00', durationMinutes: 120 }).durationMinutes).toBe(120);
	});
});
