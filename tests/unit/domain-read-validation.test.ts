import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { addPractitioner, DEFAULT_PRACTITIONER_COLOR, listPractitioners } from '../../src/lib/domain/directory.ts';
import {
	addAppointment,
	changeAppointment,
	listAppointments,
	ScheduleError,
	scheduleDoc
} from '../../src/lib/domain/schedule.ts';

const HOSTILE_COLOR = 'red; position:fixed; inset:0; background:url(https://attacker.example/beacon)';

/** Writes an entry the way a hostile peer can: straight into the doc, past the domain functions. */
function writeEntry(doc: Y.Doc, root: string, id: string, fields: Record<string, unknown>): void {
	const map = new Y.Map<unknown>();
	for (const [k, v] of Object.entries(fields)) map.set(k, v);
	doc.getMap(root).set(id, map);
}

/** The doc as another device receives it: through an update, not the writer's own objects. */
function received(doc: Y.Doc): Y.Doc {
	const copy = new Y.Doc();
	Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
	return copy;
}

describe('DOC-READ-1 directory reads return only valid practitioners', () => {
	it('DOC-READ-1 a hostile colour reads back as the default #rrggbb colour', () => {
		const doc = new Y.Doc();
		writeEntry(doc, 'practitioners', 'p1', { name: 'Dr. Ayşe', color: HOSTILE_COLOR, active: true });
		writeEntry(doc, 'practitioners', 'p2', { name: 'Dr. Can', color: 'url(javascript:alert(1))' });
		writeEntry(doc, 'practitioners', 'p3', { name: 'Dr. Elif', color: '#12345g' });
		writeEntry(doc, 'practitioners', 'p4', { name: 'Dr. Naz', color: 42 });
		const list = listPractitioners(received(doc));
		expect(list.map((p) => p.name)).toEqual(['Dr. Ayşe', 'Dr. Can', 'Dr. Elif', 'Dr. Naz']);
		for (const p of list) expect(p.color).toBe(DEFAULT_PRACTITIONER_COLOR);
	});

	it('DOC-READ-1 entries with a bad name or id, or that are not maps, are skipped', () => {
		const doc = new Y.Doc();
		addPractitioner(doc, { name: 'Dr. Valid', color: '#123abc' });
		writeEntry(doc, 'practitioners', 'p-long', { name: 'x'.repeat(121) });
		writeEntry(doc, 'practitioners', 'p-empty', { name: '   ' });
		writeEntry(doc, 'practitioners', 'p-object', { name: { toString: 'Dr. Object' } });
		writeEntry(doc, 'practitioners', 'Bad Id"><script>', { name: 'Dr. Bad Id' });
		doc.getMap('practitioners').set('p-string', 'not a map');
		doc.getMap('practitioners').set('p-array', new Y.Array());
		const list = listPractitioners(received(doc));
		expect(list).toEqual([{ id: expect.any(String), name: 'Dr. Valid', color: '#123abc', active: true }]);
	});

	it('DOC-READ-1 a flag that is not a boolean falls back to active', () => {
		const doc = new Y.Doc();
		writeEntry(doc, 'practitioners', 'p1', { name: 'Dr. Ayşe', active: 'no' });
		writeEntry(doc, 'practitioners', 'p2', { name: 'Dr. Can', active: false });
		expect(listPractitioners(received(doc)).map((p) => p.active)).toEqual([true, false]);
	});
});

describe('DOC-READ-1 schedule reads return only valid appointments', () => {
	const valid = { practitionerId: 'p1', start: '2026-11-25T10:00', durationMinutes: 30, patientName: 'Zeynep', note: '' };

	it('DOC-READ-1 appointments with an impossible start, practitioner or patient are skipped', () => {
		const doc = new Y.Doc();
		writeEntry(doc, 'appointments', 'a1', valid);
		writeEntry(doc, 'appointments', 'a2', { ...valid, start: '2026-11-25T10:00; top:0' });
		writeEntry(doc, 'appointments', 'a3', { ...valid, start: '2026-02-30T10:00' });
		writeEntry(doc, 'appointments', 'a4', { ...valid, start: '2026-11-25T24:00' });
		writeEntry(doc, 'appointments', 'a5', { ...valid, practitionerId: 'p1"><img src=x>' });
		writeEntry(doc, 'appointments', 'a6', { ...valid, patientName: 'x'.repeat(201) });
		writeEntry(doc, 'appointments', 'a7', { ...valid, patientName: 7 });
		writeEntry(doc, 'appointments', 'A8 "bad id"', valid);
		doc.getMap('appointments').set('a9', 'not a map');
		expect(listAppointments(received(doc)).map((a) => a.id)).toEqual(['a1']);
	});

	it('DOC-READ-1 a bad duration reads as 30 minutes and a bad note as none', () => {
		const doc = new Y.Doc();
		writeEntry(doc, 'appointments', 'a1', { ...valid, durationMinutes: 1e9, note: 'n'.repeat(2001) });
		writeEntry(doc, 'appointments', 'a2', { ...valid, durationMinutes: Number.NaN, note: { html: '<b>' } });
		writeEntry(doc, 'appointments', 'a3', { ...valid, durationMinutes: '45' });
		writeEntry(doc, 'appointments', 'a4', { ...valid, durationMinutes: 2.5 });
		const list = listAppointments(received(doc));
		expect(list.map((a) => [a.durationMinutes, a.note])).toEqual([
			[30, ''],
			[30, ''],
			[30, ''],
			[30, '']
		]);
	});

	it('DOC-READ-1 a change that would leave an invalid appointment is refused and writes nothing', () => {
		const doc = new Y.Doc();
		writeEntry(doc, 'appointments', 'a1', { ...valid, patientName: '' });
		const before = Y.encodeStateVector(doc);
		expect(() => changeAppointment(scheduleDoc('c1/schedule/2026-11', doc), 'a1', { durationMinutes: 45 })).toThrow(
			ScheduleError
		);
		expect(Y.encodeStateVector(doc)).toEqual(before);
		// Naming the patient makes it valid again.
		expect(changeAppointment(scheduleDoc('c1/schedule/2026-11', doc), 'a1', { patientName: 'Zeynep' })).toMatchObject({
			id: 'a1',
			patientName: 'Zeynep'
		});
	});

	it('DOC-READ-1 writes follow the same rules: what a device adds reads back unchanged', () => {
		const doc = new Y.Doc();
		const a = addAppointment(scheduleDoc('c1/schedule/2026-11', doc), valid);
		expect(listAppointments(received(doc))).toEqual([a]);
		expect(() => addAppointment(scheduleDoc('c1/schedule/2026-11', doc), { ...valid, practitionerId: 'p1; x' })).toThrow();
		expect(() => addPractitioner(doc, { name: 'Dr. X', color: HOSTILE_COLOR })).toThrow();
	});
});
