import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addClosedDay, changeClinicProfile, setBusinessHours } from '../../src/lib/domain/clinicSettings.ts';
import {
	changeInboxRules,
	DEFAULT_INBOX_RULES,
	inboxRules,
	isOutsideBusinessHours,
	nextAssignee,
	setOnDuty,
	staffOnDuty
} from '../../src/lib/domain/inboxRules.ts';

describe('inbox rules', () => {
	it('round-robin goes to the next person on duty after the last one, skipping whoever is at the cap', () => {
		const open: Record<string, number> = { ayse: 2, burak: 5, cem: 0 };
		const count = (u: string) => open[u] ?? 0;
		expect(nextAssignee(['cem', 'ayse', 'burak'], null, count, 5)).toBe('ayse');
		expect(nextAssignee(['cem', 'ayse', 'burak'], 'ayse', count, 5)).toBe('cem');
		expect(nextAssignee(['cem', 'ayse', 'burak'], 'cem', count, 5)).toBe('ayse');
		// The last one chosen went off duty: the turn goes on from where they were.
		expect(nextAssignee(['ayse', 'cem'], 'burak', count, 5)).toBe('cem');
		expect(nextAssignee(['burak'], null, count, 5)).toBeNull();
		expect(nextAssignee([], null, count, 5)).toBeNull();
	});

	it('each person switches themselves on duty in the inbox doc', () => {
		const inbox = new Y.Doc();
		setOnDuty(inbox, 'ayse', true);
		setOnDuty(inbox, 'burak', true);
		setOnDuty(inbox, 'burak', false);
		expect(staffOnDuty(inbox)).toEqual(['ayse']);
		expect(() => setOnDuty(inbox, 'Not An Id', true)).toThrow();
	});

	it('business hours are the clinic’s, in its time zone, holidays closed', () => {
		const directory = new Y.Doc();
		changeClinicProfile(directory, { timeZone: 'Europe/Istanbul' });
		setBusinessHours(directory, 'thu', { open: true, intervals: [{ from: '09:00', to: '18:00' }] });
		// Thursday 2026-11-26: 06:30 UTC is 09:30 in Istanbul (open), 15:30 UTC is 18:30 there (closed).
		expect(isOutsideBusinessHours(directory, new Date('2026-11-26T06:30:00Z'))).toBe(false);
		expect(isOutsideBusinessHours(directory, new Date('2026-11-26T15:30:00Z'))).toBe(true);
		expect(isOutsideBusinessHours(directory, new Date('2026-11-26T05:59:00Z'))).toBe(true);
		addClosedDay(directory, { date: '2026-11-26', label: 'Holiday' });
		expect(isOutsideBusinessHours(directory, new Date('2026-11-26T06:30:00Z'))).toBe(true);
	});

	it('an away message needs its text; bad values are refused and change nothing', () => {
		const directory = new Y.Doc();
		expect(inboxRules(directory)).toEqual(DEFAULT_INBOX_RULES);
		expect(() => changeInboxRules(directory, { awayMessage: true })).toThrow(/awayTextMissing/);
		expect(() => changeInboxRules(directory, { capPerPerson: 0 })).toThrow();
		expect(inboxRules(directory)).toEqual(DEFAULT_INBOX_RULES);
		changeInboxRules(directory, {
			awayMessage: true,
			awayText: 'Mesai dışındayız, yarın döneceğiz.',
			autoAssign: true,
			capPerPerson: 3
		});
		expect(inboxRules(directory)).toEqual({
			autoAssign: true,
			capPerPerson: 3,
			awayMessage: true,
			awayText: 'Mesai dışındayız, yarın döneceğiz.'
		});
		// A value another peer wrote badly falls back on its own (DOC-READ-1).
		directory.getMap('inboxRules').set('capPerPerson', -4);
		expect(inboxRules(directory).capPerPerson).toBe(DEFAULT_INBOX_RULES.capPerPerson);
	});
});
