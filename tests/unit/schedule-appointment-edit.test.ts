import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addAppointment, changeAppointment, listAppointments, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { changedFields, editableOf, rebase, type EditableAppointment } from '../../src/lib/schedule/appointmentEdit.ts';

const opened: EditableAppointment = {
	practitionerId: 'p1',
	day: '2026-11-26',
	time: '10:00',
	durationMinutes: 30,
	patientName: 'Ayşe Yılmaz',
	note: ''
};

describe('the appointment dialog writes only what the person changed', () => {
	it('a time change alone is only the start', () => {
		expect(changedFields(opened, { ...opened, time: '11:30' })).toEqual({ start: '2026-11-26T11:30' });
		expect(changedFields(opened, { ...opened, day: '2026-11-28' })).toEqual({ start: '2026-11-28T10:00' });
	});

	it('nothing changed is no change; spaces around a name are not a change', () => {
		expect(changedFields(opened, { ...opened })).toEqual({});
		expect(changedFields(opened, { ...opened, patientName: ' Ayşe Yılmaz ' })).toEqual({});
	});

	it('B moves the time while A renamed: after both devices merge, both edits are there', () => {
		const name = 'c1/schedule/2026-11';
		const a = new Y.Doc();
		const booked = addAppointment(scheduleDoc(name, a), {
			practitionerId: 'p1',
			start: '2026-11-26T10:00',
			durationMinutes: 30,
			patientName: 'Ayşe Yılmaz'
		});
		const b = new Y.Doc();
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		// B opens the dialog; meanwhile A renames.
		const bOpened = editableOf(listAppointments(b)[0]);
		changeAppointment(scheduleDoc(name, a), booked.id, { patientName: 'Ayşe Kaya' });
		changeAppointment(scheduleDoc(name, b), booked.id, changedFields(bOpened, { ...bOpened, time: '11:30' }));
		Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		for (const doc of [a, b]) {
			const [merged] = listAppointments(doc);
			expect([merged.patientName, merged.start]).toEqual(['Ayşe Kaya', '2026-11-26T11:30']);
		}
	});

	it('a change arriving while the dialog is open fills untouched fields and keeps the person’s own', () => {
		const edited = { ...opened, time: '12:00' };
		const current = { ...opened, patientName: 'Ayşe Kaya', time: '10:15' };
		const result = rebase(opened, edited, current);
		expect(result.edited).toEqual({ ...opened, patientName: 'Ayşe Kaya', time: '12:00' });
		expect(result.changedElsewhere.sort()).toEqual(['patientName', 'time']);
		// Saved afterwards, only the person's own change is written.
		expect(changedFields(result.opened, result.edited)).toEqual({ start: '2026-11-26T12:00' });
	});
});
