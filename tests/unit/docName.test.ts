import { describe, expect, it } from 'vitest';
import { docNames, formatDocName, parseDocName } from '../../src/lib/domain/docName.ts';
import { mayOpenDoc } from '../../src/lib/domain/roles.ts';

describe('doc names', () => {
	it('parse and format the kinds of the architecture', () => {
		expect(parseDocName('c1/inbox')).toEqual({ clinicId: 'c1', kind: 'inbox' });
		expect(parseDocName('c1/thread/t-9')).toEqual({ clinicId: 'c1', kind: 'thread', key: 't-9' });
		expect(parseDocName('c1/schedule/2026-11')).toEqual({ clinicId: 'c1', kind: 'schedule', key: '2026-11' });
		expect(docNames.note('c1', 'p1')).toBe('c1/note/p1');
		expect(formatDocName({ clinicId: 'c1', kind: 'schedule', key: '2026-01' })).toBe('c1/schedule/2026-01');
	});

	it.each([
		'',
		'c1',
		'c1/',
		'c1/inbox/x',
		'c1/thread',
		'c1/schedule/2026-13',
		'c1/schedule/26-01',
		'C1/inbox',
		'c1/note/../x',
		'c1/other',
		'../c1/inbox'
	])('refuses %j', (name) => {
		expect(parseDocName(name)).toBeNull();
	});

	it('format refuses what parse would refuse', () => {
		expect(() => formatDocName({ clinicId: 'c1', kind: 'thread' })).toThrow();
	});
});

describe('roles', () => {
	it('keep clinical notes from reception', () => {
		expect(mayOpenDoc('reception', 'note')).toBe(false);
		expect(mayOpenDoc('reception', 'schedule')).toBe(true);
		expect(mayOpenDoc('practitioner', 'note')).toBe(true);
		expect(mayOpenDoc('admin', 'note')).toBe(true);
	});
});
