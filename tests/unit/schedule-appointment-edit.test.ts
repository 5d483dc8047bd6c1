import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addAppointment, changeAppointment, listAppointments, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { changedFields, editableOf, rebase, type EditableAppointment } from '../../src/lib/schedule/appointmentEdit.ts';

const opened: EditableAppointment = {
	practitionerId: 'p1',
	day: '2026-11-26',
	time: '10:00',
	durationMinutes: 30,
	patientId: 'c1',
	roomId: '',
	serviceId: '',
	note: '',
	status: 'booked'
};

describe('the appointment dialog writes only what the person changed', () => {
	it('a time change alone is only the start', () => {
		expect(changedFields(opened, { ...opened, time: '11:30' })).toEqual({ start: '2026-11-26T11:30' });
		expect(changedFields(opened, { ...opened, day: '2026-11-28' })).toEqual({ start: '2026-11-28T10:00' });
	});

	it('nothing changed is no change; spaces around a value are not a change', () => {
		expect(changedFields(opened, { ...opened })).toEqual({});
		expect(changedFields(opened, { ...opened, patientId: ' c1 ' })).toEqual({});
	});

	it('a room or service taken away is cleared, a new patient and status are written', () => {
		const withRoom = { ...opened, roomId: 'r1', serviceId: 's1' };
		expect(changedFields(withRoom, { ...withRoom, roomId: '', serviceId: '' })).toEqual({ roomId: null, serviceId: null });
		expect(changedFields(opened, { ...opened, patientId: 'c2', status: 'arrived' })).toEqual({
			patientId: 'c2',
			status: 'arrived'
		});
	});

	it('B moves the time while A wrote a note: after both devices merge, both edits are there', () => {
		const name = 'c1/schedule/2026-11';
		const a = new Y.Doc();
		const booked = addAppointment(scheduleDoc(name, a), {
			practitionerId: 'p1',
			start: '2026-11-26T10:00',
			durationMinutes: 30,
			patientId: 'c1'
		});
		const b = new Y.Doc();
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		// B opens the dialog; meanwhile A renames.
		const bOpened = editableOf(listAppointments(b)[0]);
		changeAppointment(scheduleDoc(name, a), booked.id, { note: 'first visit' });
		changeAppointment(scheduleDoc(name, b), booked.id, changedFields(bOpened, { ...bOpened, time: '11:30' }));
		Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
		for (const doc of [a, b]) {
			const [merged] = listAppointments(doc);
			expect([merged.note, merged.start]).toEqual(['first visit', '2026-11-26T11:30']);
		}
	});

	it('a change arriving while the dialog is open fills untouched fields and keeps the person’s own', () => {
		const edited = { ...opened, time: '12:00' };
		const current = { ...opened, note: 'first visit', time: '10:15' };
		const result = rebase(opened, edited, current);
		expect(result.edited).toEqual({ ...opened, note: 'first visit', time: '12:00' });
		expect(result.changedElsewhere.sort()).toEqual(['note', 'time']);
		// Saved afterwards, only the person's own change is written.
		expect(changedFields(result.opened, result.edited)).toEqual({ start: '2026-11-26T12:00' });
	});
});
