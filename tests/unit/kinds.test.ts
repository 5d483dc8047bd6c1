import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { DOC_KINDS, KINDS } from '../../src/lib/domain/kinds.ts';
import { docNames, parseDocName } from '../../src/lib/domain/docName.ts';
import { mayOpenDoc, mayWriteDoc, ROLES } from '../../src/lib/domain/roles.ts';
import {
	addAppointment,
	changeAppointment,
	listAppointments,
	scheduleDoc,
	ScheduleError,
	type ScheduleDoc
} from '../../src/lib/domain/schedule.ts';

const base = { practitionerId: 'p1', durationMinutes: 30, patientName: 'Deniz Koç' };

describe('the registry of doc kinds', () => {
	it('names every kind of the architecture once, each with its keep-policy and schema version', () => {
		expect(DOC_KINDS).toEqual(['directory', 'contacts', 'inbox', 'thread', 'schedule', 'note', 'memo']);
		expect(DOC_KINDS.map((k) => KINDS[k].keep)).toEqual([
			'signed-in',
			'signed-in',
			'signed-in',
			'recent',
			'recent',
			'on-demand',
			'on-demand'
		]);
		// Notes keep their history (their earlier versions are shown from snapshots); nothing else does.
		expect(DOC_KINDS.filter((k) => 'keepHistory' in KINDS[k] && KINDS[k].keepHistory)).toEqual(['note', 'memo']);
		for (const kind of DOC_KINDS) expect(KINDS[kind].schemaVersion).toBeGreaterThanOrEqual(1);
	});

	it('doc names follow the key pattern of their kind', () => {
		expect(parseDocName('c1/schedule/2026-11')).toEqual({ clinicId: 'c1', kind: 'schedule', key: '2026-11' });
		expect(parseDocName('c1/schedule/t-1')).toBeNull();
		expect(parseDocName('c1/thread/2026-11')).toEqual({ clinicId: 'c1', kind: 'thread', key: '2026-11' });
		expect(parseDocName('c1/directory/x')).toBeNull();
		expect(parseDocName('c1/note')).toBeNull();
	});

	it('mayOpenDoc and mayWriteDoc read the roles of the registry (as before the move)', () => {
		const table = Object.fromEntries(
			DOC_KINDS.map((kind) => [
				kind,
				ROLES.map((r) => `${mayOpenDoc(r, kind) ? 'r' : '-'}${mayWriteDoc(r, kind) ? 'w' : '-'}`).join(' ')
			])
		);
		// admin, practitioner, reception
		expect(table).toEqual({
			directory: 'rw r- r-',
			contacts: 'rw rw rw',
			inbox: 'rw rw rw',
			thread: 'rw rw rw',
			schedule: 'rw rw rw',
			note: 'rw rw --',
			memo: 'rw rw rw'
		});
	});
});

describe('typed schedule handles', () => {
	it('a schedule handle carries the month of its name, so an appointment of another month is refused', () => {
		const november = scheduleDoc(docNames.schedule('c1', '2026-11'), new Y.Doc());
		expect(november.month).toBe('2026-11');
		const a = addAppointment(november, { ...base, start: '2026-11-25T09:00' });
		expect(listAppointments(november)).toEqual([a]);
		expect(() => addAppointment(november, { ...base, start: '2026-12-01T09:00' })).toThrow(ScheduleError);
		expect(() => changeAppointment(november, a.id, { start: '2026-12-01T09:00' })).toThrow(ScheduleError);
		expect(changeAppointment(november, a.id, { start: '2026-11-26T10:00' }).start).toBe('2026-11-26T10:00');
	});

	it('only a schedule doc’s name makes a handle, and a hand-made pair is not one', () => {
		expect(() => scheduleDoc(docNames.directory('c1'), new Y.Doc())).toThrow(ScheduleError);
		expect(() => scheduleDoc('c1/schedule/2026-13', new Y.Doc())).toThrow(ScheduleError);
		// @ts-expect-error a doc and a month put together by hand are not a ScheduleDoc
		const handMade: ScheduleDoc = { doc: new Y.Doc(), month: '2026-11' };
		expect(handMade.month).toBe('2026-11');
	});
});
