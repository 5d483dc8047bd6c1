import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
	addReminderRule,
	dueReminders,
	listReminderRules,
	reminderAnswer,
	removeReminderRule,
	type ReminderRule
} from '../../src/lib/domain/reminders.ts';
import {
	addAppointment,
	changeAppointment,
	recordReminder,
	scheduleDoc,
	sentReminders,
	type Appointment
} from '../../src/lib/domain/schedule.ts';
import { reminderParams } from '../../server/jobs/reminders.ts';

const rule: ReminderRule = { id: 'r24', leadMinutes: 24 * 60, templateId: 't1', active: true };
const twoHours: ReminderRule = { id: 'r2', leadMinutes: 120, templateId: 't1', active: true };

function appointment(start: string, patch: Partial<Appointment> = {}): Appointment {
	return {
		id: 'a1',
		practitionerId: 'p1',
		patientId: 'c1',
		start,
		durationMinutes: 30,
		note: '',
		status: 'booked',
		source: 'desk',
		...patch
	};
}

describe('REMIND-RULE-1 reminder rules in the directory', () => {
	it('are added, listed the earliest-sent first, and removed; a bad lead changes nothing', () => {
		const doc = new Y.Doc();
		addReminderRule(doc, { leadMinutes: 120, templateId: 't1' });
		const first = addReminderRule(doc, { leadMinutes: 24 * 60, templateId: 't1' });
		expect(listReminderRules(doc).map((r) => r.leadMinutes)).toEqual([1440, 120]);
		const before = Y.encodeStateVector(doc);
		expect(() => addReminderRule(doc, { leadMinutes: 5, templateId: 't1' })).toThrow();
		expect(() => addReminderRule(doc, { leadMinutes: 60, templateId: 'not an id!' })).toThrow();
		expect(Y.encodeStateVector(doc)).toEqual(before);
		removeReminderRule(doc, first.id);
		expect(listReminderRules(doc).map((r) => r.leadMinutes)).toEqual([120]);
	});
});

describe('REMIND-DUE-1 which reminders are due', () => {
	// 10:00 in Istanbul on 28 November is 07:00 UTC.
	const start = '2026-11-28T10:00';
	it('one whose time came is due until the appointment begins, in the clinic’s zone', () => {
		const a = appointment(start);
		expect(dueReminders([a], [rule, twoHours], new Date('2026-11-27T06:59:00Z'), 'Europe/Istanbul')).toEqual([]);
		const due = dueReminders([a], [rule, twoHours], new Date('2026-11-27T07:00:00Z'), 'Europe/Istanbul');
		expect(due.map((d) => d.rule.id)).toEqual(['r24']);
		expect(due[0].startsAt.toISOString()).toBe('2026-11-28T07:00:00.000Z');
		// Both once the later one came too; none once it began.
		expect(dueReminders([a], [rule, twoHours], new Date('2026-11-28T05:30:00Z'), 'Europe/Istanbul')).toHaveLength(2);
		expect(dueReminders([a], [rule, twoHours], new Date('2026-11-28T07:00:00Z'), 'Europe/Istanbul')).toEqual([]);
	});

	it('cancelled, arrived, completed and no-show appointments, inactive rules and typed names get none', () => {
		const now = new Date('2026-11-28T06:00:00Z');
		for (const status of ['cancelled', 'arrived', 'completed', 'no_show'] as const) {
			expect(dueReminders([appointment(start, { status })], [rule], now, 'Europe/Istanbul')).toEqual([]);
		}
		expect(dueReminders([appointment(start, { status: 'confirmed' })], [rule], now, 'Europe/Istanbul')).toHaveLength(1);
		expect(dueReminders([appointment(start)], [{ ...rule, active: false }], now, 'Europe/Istanbul')).toEqual([]);
		const typed = appointment(start, { patientName: 'Eski Kayıt' });
		delete typed.patientId;
		expect(dueReminders([typed], [rule], now, 'Europe/Istanbul')).toEqual([]);
	});
});

describe('REMIND-ANSWER-1 what a patient’s answer says', () => {
	it.each([
		['1', 'confirm'],
		['Evet', 'confirm'],
		['EVET!', 'confirm'],
		['Onaylıyorum', 'confirm'],
		['onayliyorum.', 'confirm'],
		['Confirm', 'confirm'],
		['2', 'cancel'],
		['Hayır', 'cancel'],
		['HAYIR', 'cancel'],
		['iptal', 'cancel'],
		['İptal', 'cancel'],
		['Cancel', 'cancel'],
		['Evet ama 10 dakika geç kalabilirim', null],
		['Merhaba, yarın görüşürüz', null],
		['', null]
	] as const)('%s → %s', (text, answer) => {
		expect(reminderAnswer(text)).toBe(answer);
	});
});

describe('REMIND-RECORD-1 a reminder sent is recorded on the appointment, for its start', () => {
	it('is listed until the appointment moves to another time', () => {
		const schedule = scheduleDoc('c1/schedule/2026-11', new Y.Doc());
		const a = addAppointment(schedule, { practitionerId: 'p1', patientId: 'c1', start: '2026-11-28T10:00', durationMinutes: 30 });
		recordReminder(schedule, a.id, { ruleId: 'r24', at: '2026-11-27T07:00:00.000Z', start: a.start });
		expect(sentReminders(schedule, a.id)).toEqual([{ ruleId: 'r24', at: '2026-11-27T07:00:00.000Z', start: '2026-11-28T10:00' }]);
		changeAppointment(schedule, a.id, { start: '2026-11-29T10:00' });
		expect(sentReminders(schedule, a.id)).toEqual([]);
	});

	it('fills the template: name, day in the clinic’s language, time, practitioner, clinic', () => {
		const names = { patient: 'Ayşe Kaya', practitioner: 'Dr. Elif', clinic: 'Demo Klinik', language: 'tr' };
		expect(reminderParams(appointment('2026-11-28T10:00'), names)).toEqual([
			'Ayşe Kaya',
			'28 Kasım Cumartesi',
			'10:00',
			'Dr. Elif',
			'Demo Klinik'
		]);
	});
});
