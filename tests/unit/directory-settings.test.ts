import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUSINESS_HOURS, weekdayOf, type DayHours } from '../../src/lib/domain/businessHours.ts';
import {
	addClosedDay,
	businessHours,
	changeClinicProfile,
	clinicProfile,
	closedDayOn,
	listClosedDays,
	removeClosedDay,
	setBusinessHours,
	SettingsError
} from '../../src/lib/domain/clinicSettings.ts';
import {
	addPractitioner,
	changePractitioner,
	listPractitioners,
	movePractitioner,
	practitionerHours,
	sameNamePractitioners,
	setPractitionerHours
} from '../../src/lib/domain/directory.ts';
import { addRoom, changeRoom, listRooms, moveRoom } from '../../src/lib/domain/rooms.ts';
import { addService, changeService, listServices, moveService } from '../../src/lib/domain/services.ts';

function sync(a: Y.Doc, b: Y.Doc) {
	Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
	Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

/** The doc as another device receives it: through an update, not the writer's own objects. */
function received(doc: Y.Doc): Y.Doc {
	const copy = new Y.Doc();
	Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
	return copy;
}

/** Writes nothing: the doc's state is the same before and after `write` throws. */
function refusedWithoutWriting(doc: Y.Doc, write: () => unknown, message?: RegExp) {
	const before = Y.encodeStateVector(doc);
	expect(write).toThrow(message);
	expect(Y.encodeStateVector(doc)).toEqual(before);
}

const withBreak: DayHours = {
	open: true,
	intervals: [
		{ from: '08:30', to: '12:00' },
		{ from: '13:00', to: '17:30' }
	]
};
const names = (doc: Y.Doc) => listPractitioners(doc).map((p) => p.name);

describe('clinic profile: name, time zone, default language', () => {
	it('a new directory reads the defaults: Europe/Istanbul, Turkish, no name', () => {
		expect(clinicProfile(new Y.Doc())).toEqual({ name: '', timeZone: 'Europe/Istanbul', language: 'tr' });
	});

	it('writes each field and reads it back on another device', () => {
		const doc = new Y.Doc();
		changeClinicProfile(doc, { name: '  Moda Diş Kliniği ', timeZone: 'Europe/Berlin', language: 'en' });
		expect(clinicProfile(received(doc))).toEqual({ name: 'Moda Diş Kliniği', timeZone: 'Europe/Berlin', language: 'en' });
		changeClinicProfile(doc, { timeZone: 'UTC' });
		expect(clinicProfile(received(doc))).toMatchObject({ name: 'Moda Diş Kliniği', timeZone: 'UTC' });
	});

	it('refuses an unknown time zone, an empty name or another language, and writes nothing', () => {
		const doc = new Y.Doc();
		refusedWithoutWriting(doc, () => changeClinicProfile(doc, { timeZone: 'Europe/Atlantis' }), /clinic.timeZone/);
		refusedWithoutWriting(doc, () => changeClinicProfile(doc, { name: '   ' }), /clinic.name/);
		refusedWithoutWriting(doc, () => changeClinicProfile(doc, { language: 'de' as 'tr' }), /clinic.language/);
		refusedWithoutWriting(doc, () => changeClinicProfile(doc, { name: 'Ok', timeZone: 'Mars/Base' }));
		expect(clinicProfile(doc).name).toBe('');
	});

	it('DOC-READ-1 each bad stored field falls back on its own', () => {
		const doc = new Y.Doc();
		const map = doc.getMap('clinic');
		map.set('name', 'Moda');
		map.set('timeZone', 'Not/AZone');
		map.set('language', 42);
		expect(clinicProfile(received(doc))).toEqual({ name: 'Moda', timeZone: 'Europe/Istanbul', language: 'tr' });
		map.set('name', { html: '<b>' });
		expect(clinicProfile(received(doc)).name).toBe('');
	});

	it('two admins changing different fields offline both keep their change', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		changeClinicProfile(a, { name: 'Moda' });
		sync(a, b);
		changeClinicProfile(a, { timeZone: 'Europe/London' });
		changeClinicProfile(b, { language: 'en' });
		sync(a, b);
		expect(clinicProfile(a)).toEqual({ name: 'Moda', timeZone: 'Europe/London', language: 'en' });
		expect(clinicProfile(b)).toEqual(clinicProfile(a));
	});
});

describe('business hours per weekday, breaks as gaps', () => {
	it('a new clinic has the default week; a day set with a break reads back as set', () => {
		const doc = new Y.Doc();
		expect(businessHours(doc)).toEqual(DEFAULT_BUSINESS_HOURS);
		setBusinessHours(doc, 'tue', withBreak);
		setBusinessHours(doc, 'sat', { open: false, intervals: [] });
		const week = businessHours(received(doc));
		expect(week.tue).toEqual(withBreak);
		expect(week.sat.open).toBe(false);
		expect(week.mon).toEqual(DEFAULT_BUSINESS_HOURS.mon);
	});

	it('refuses intervals out of order, overlapping, badly written or an open day without hours; writes nothing', () => {
		const doc = new Y.Doc();
		const day = (...intervals: [string, string][]): DayHours => ({
			open: true,
			intervals: intervals.map(([from, to]) => ({ from, to }))
		});
		refusedWithoutWriting(doc, () => setBusinessHours(doc, 'mon', day(['12:00', '09:00'])), /hours.order/);
		refusedWithoutWriting(doc, () => setBusinessHours(doc, 'mon', day(['09:00', '12:00'], ['11:30', '15:00'])), /hours.overlap/);
		refusedWithoutWriting(doc, () => setBusinessHours(doc, 'mon', day(['13:00', '15:00'], ['09:00', '12:00'])), /hours.overlap/);
		refusedWithoutWriting(doc, () => setBusinessHours(doc, 'mon', day(['9:00', '12:00'])), /hours.format/);
		refusedWithoutWriting(doc, () => setBusinessHours(doc, 'mon', day(['09:00', '24:00'])), /hours.format/);
		refusedWithoutWriting(doc, () => setBusinessHours(doc, 'mon', day()), /hours.empty/);
		// Touching intervals are allowed: a break of no length is just one long interval written in two.
		setBusinessHours(doc, 'mon', day(['09:00', '12:00'], ['12:00', '15:00']));
		expect(businessHours(doc).mon.intervals).toHaveLength(2);
	});

	it('DOC-READ-1 an invalid stored day falls back to the default for that day only', () => {
		const doc = new Y.Doc();
		setBusinessHours(doc, 'wed', withBreak);
		doc.getMap('businessHours').set('mon', { open: true, intervals: [{ from: '18:00', to: '08:00' }] });
		doc.getMap('businessHours').set('tue', 'always');
		const week = businessHours(received(doc));
		expect(week.mon).toEqual(DEFAULT_BUSINESS_HOURS.mon);
		expect(week.tue).toEqual(DEFAULT_BUSINESS_HOURS.tue);
		expect(week.wed).toEqual(withBreak);
	});

	it('two admins changing different weekdays offline both keep their change', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		setBusinessHours(a, 'mon', withBreak);
		setBusinessHours(b, 'fri', { open: true, intervals: [{ from: '10:00', to: '14:00' }] });
		sync(a, b);
		expect(businessHours(a)).toEqual(businessHours(b));
		expect(businessHours(a).mon).toEqual(withBreak);
		expect(businessHours(a).fri.intervals).toEqual([{ from: '10:00', to: '14:00' }]);
	});

	it('knows the weekday of a calendar day', () => {
		expect(weekdayOf('2026-11-26')).toBe('thu');
		expect(weekdayOf('2026-11-29')).toBe('sun');
	});
});

describe('closed days (holidays)', () => {
	it('adds, lists by date, finds and removes', () => {
		const doc = new Y.Doc();
		addClosedDay(doc, { date: '2026-10-29', label: 'Cumhuriyet Bayramı' });
		const newYear = addClosedDay(doc, { date: '2026-01-01', label: 'Yılbaşı' });
		expect(listClosedDays(received(doc)).map((d) => d.date)).toEqual(['2026-01-01', '2026-10-29']);
		expect(closedDayOn(doc, '2026-10-29')?.label).toBe('Cumhuriyet Bayramı');
		expect(closedDayOn(doc, '2026-10-30')).toBeUndefined();
		removeClosedDay(doc, newYear.id);
		expect(listClosedDays(doc).map((d) => d.label)).toEqual(['Cumhuriyet Bayramı']);
	});

	it('refuses an impossible date, an empty label or an unknown id; writes nothing', () => {
		const doc = new Y.Doc();
		refusedWithoutWriting(doc, () => addClosedDay(doc, { date: '2026-02-30', label: 'x' }), /clinic.date/);
		refusedWithoutWriting(doc, () => addClosedDay(doc, { date: '26-1-1', label: 'x' }), /clinic.date/);
		refusedWithoutWriting(doc, () => addClosedDay(doc, { date: '2026-01-01', label: '  ' }), /clinic.label/);
		refusedWithoutWriting(doc, () => removeClosedDay(doc, 'missing'), /clinic.noSuchDay/);
		expect(() => removeClosedDay(doc, 'missing')).toThrow(SettingsError);
	});

	it('DOC-READ-1 entries with a bad date, label or id are skipped', () => {
		const doc = new Y.Doc();
		addClosedDay(doc, { date: '2026-01-01', label: 'Yılbaşı' });
		const map = doc.getMap('closedDays');
		map.set('d2', { date: '2026-13-01', label: 'x' });
		map.set('d3', { date: '2026-05-01', label: '' });
		map.set('Bad Id', { date: '2026-05-01', label: 'x' });
		map.set('d4', 'not an object');
		expect(listClosedDays(received(doc)).map((d) => d.label)).toEqual(['Yılbaşı']);
	});
});

describe('practitioners: rename, recolour, order, deactivate, working hours', () => {
	it('renames and recolours; a bad name or colour is refused and writes nothing', () => {
		const doc = new Y.Doc();
		const p = addPractitioner(doc, { name: 'Dr. Ayşe' });
		changePractitioner(doc, p.id, { name: 'Dr. Ayşe Yılmaz', color: '#7c3aed' });
		expect(listPractitioners(received(doc))).toEqual([{ id: p.id, name: 'Dr. Ayşe Yılmaz', color: '#7c3aed', active: true }]);
		refusedWithoutWriting(doc, () => changePractitioner(doc, p.id, { name: '' }), /catalog.name/);
		refusedWithoutWriting(doc, () => changePractitioner(doc, p.id, { color: 'red; top:0' as '#000000' }));
		refusedWithoutWriting(doc, () => changePractitioner(doc, 'missing', { name: 'X' }), /catalog.missing/);
	});

	it('warns of a duplicate name (any case, extra spaces) without refusing it', () => {
		const doc = new Y.Doc();
		const a = addPractitioner(doc, { name: 'Dr. İpek Şahin' });
		const b = addPractitioner(doc, { name: 'Dr. Can' });
		expect(sameNamePractitioners(doc, '  dr.  ipek şahin').map((p) => p.id)).toEqual([a.id]);
		expect(sameNamePractitioners(doc, 'Dr. İpek Şahin', a.id)).toEqual([]);
		changePractitioner(doc, b.id, { name: 'Dr. İpek Şahin' });
		expect(names(doc)).toEqual(['Dr. İpek Şahin', 'Dr. İpek Şahin']);
	});

	it('deactivates and reactivates, keeping the practitioner in the list', () => {
		const doc = new Y.Doc();
		const p = addPractitioner(doc, { name: 'Dr. Ayşe' });
		changePractitioner(doc, p.id, { active: false });
		expect(listPractitioners(received(doc))).toEqual([{ ...p, active: false }]);
		changePractitioner(doc, p.id, { active: true });
		expect(listPractitioners(doc)[0].active).toBe(true);
	});

	it('moves up and down, first and last included, and the order survives the trip to another device', () => {
		const doc = new Y.Doc();
		const [a, b, c, d] = ['A', 'B', 'C', 'D'].map((name) => addPractitioner(doc, { name }));
		movePractitioner(doc, c.id, 1);
		expect(names(doc)).toEqual(['A', 'C', 'B', 'D']);
		movePractitioner(doc, a.id, 3);
		expect(names(doc)).toEqual(['C', 'B', 'D', 'A']);
		movePractitioner(doc, a.id, 0);
		expect(names(received(doc))).toEqual(['A', 'C', 'B', 'D']);
		movePractitioner(doc, d.id, 99);
		movePractitioner(doc, b.id, -5);
		expect(names(doc)).toEqual(['B', 'A', 'C', 'D']);
		expect(() => movePractitioner(doc, 'missing', 0)).toThrow(/catalog.missing/);
	});

	it('keeps moving after many moves between the same two neighbours (positions run out of room, then renumber)', () => {
		const doc = new Y.Doc();
		const [, , c] = ['A', 'B', 'C'].map((name) => addPractitioner(doc, { name }));
		const [x, y] = [addPractitioner(doc, { name: 'X' }), addPractitioner(doc, { name: 'Y' })];
		for (let i = 0; i < 80; i++) {
			movePractitioner(doc, x.id, 1);
			movePractitioner(doc, y.id, 1);
		}
		expect(names(doc)).toEqual(['A', 'Y', 'X', 'B', 'C']);
		movePractitioner(doc, c.id, 0);
		expect(names(received(doc))).toEqual(['C', 'A', 'Y', 'X', 'B']);
	});

	it('practitioners written before there was an order come after the ordered ones, by name, and can be moved', () => {
		const doc = new Y.Doc();
		const legacy = (id: string, name: string) => {
			const m = new Y.Map<unknown>();
			m.set('name', name);
			doc.getMap('practitioners').set(id, m);
		};
		legacy('p-zeki', 'Dr. Zeki');
		legacy('p-ali', 'Dr. Ali');
		const newer = addPractitioner(doc, { name: 'Dr. Nur' });
		expect(names(doc)).toEqual(['Dr. Nur', 'Dr. Ali', 'Dr. Zeki']);
		movePractitioner(doc, 'p-zeki', 0);
		expect(names(received(doc))).toEqual(['Dr. Zeki', 'Dr. Nur', 'Dr. Ali']);
		expect(listPractitioners(doc).find((p) => p.id === newer.id)).toBeDefined();
	});

	it('DOC-READ-1 a stored position that is not a finite number counts as none', () => {
		const doc = new Y.Doc();
		const a = addPractitioner(doc, { name: 'A' });
		addPractitioner(doc, { name: 'B' });
		(doc.getMap('practitioners').get(a.id) as Y.Map<unknown>).set('position', 'first');
		expect(names(received(doc))).toEqual(['B', 'A']);
	});

	it('concurrent reorders on two devices converge to one order that loses no practitioner', () => {
		for (let seed = 0; seed < 30; seed++) {
			const a = new Y.Doc();
			const b = new Y.Doc();
			const added = ['P1', 'P2', 'P3', 'P4', 'P5'].map((name) => addPractitioner(a, { name }));
			sync(a, b);
			let rng = seed + 1;
			const next = (n: number) => ((rng = (rng * 48271) % 2147483647), rng % n);
			for (let i = 0; i < 4; i++) {
				movePractitioner(a, added[next(5)].id, next(5));
				movePractitioner(b, added[next(5)].id, next(5));
			}
			sync(a, b);
			expect(names(a), `seed ${seed}`).toEqual(names(b));
			expect([...names(a)].sort(), `seed ${seed}`).toEqual(['P1', 'P2', 'P3', 'P4', 'P5']);
		}
	});

	it('moves of different practitioners on two devices both take effect', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const [, p2, , p4] = ['P1', 'P2', 'P3', 'P4'].map((name) => addPractitioner(a, { name }));
		sync(a, b);
		movePractitioner(a, p2.id, 0);
		movePractitioner(b, p4.id, 2);
		sync(a, b);
		expect(names(a)).toEqual(['P2', 'P1', 'P4', 'P3']);
		expect(names(b)).toEqual(names(a));
	});

	it('a rename on one device and a recolour and move on another both survive', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const [p1, p2] = ['P1', 'P2'].map((name) => addPractitioner(a, { name }));
		sync(a, b);
		changePractitioner(a, p2.id, { name: 'Dr. Two' });
		changePractitioner(b, p2.id, { color: '#be123c' });
		movePractitioner(b, p2.id, 0);
		sync(a, b);
		expect(listPractitioners(a)).toEqual([
			{ id: p2.id, name: 'Dr. Two', color: '#be123c', active: true },
			{ ...p1, active: true }
		]);
		expect(listPractitioners(b)).toEqual(listPractitioners(a));
	});

	it("working hours follow the clinic's until set per weekday, and return to them when cleared", () => {
		const doc = new Y.Doc();
		const p = addPractitioner(doc, { name: 'Dr. Ayşe' });
		setBusinessHours(doc, 'mon', withBreak);
		expect(practitionerHours(doc, p.id)).toEqual({ own: {}, effective: businessHours(doc) });
		const afternoons = { open: true, intervals: [{ from: '13:00', to: '19:00' }] };
		setPractitionerHours(doc, p.id, 'tue', afternoons);
		setPractitionerHours(doc, p.id, 'wed', { open: false, intervals: [] });
		const hours = practitionerHours(received(doc), p.id);
		expect(hours.own).toEqual({ tue: afternoons, wed: { open: false, intervals: [] } });
		expect(hours.effective.mon).toEqual(withBreak);
		expect(hours.effective.tue).toEqual(afternoons);
		setPractitionerHours(doc, p.id, 'tue', null);
		expect(practitionerHours(doc, p.id).effective.tue).toEqual(businessHours(doc).tue);
		refusedWithoutWriting(
			doc,
			() => setPractitionerHours(doc, p.id, 'thu', { open: true, intervals: [{ from: '15:00', to: '10:00' }] }),
			/hours.order/
		);
	});

	it("DOC-READ-1 a practitioner's invalid stored hours fall back to the clinic's for that day", () => {
		const doc = new Y.Doc();
		const p = addPractitioner(doc, { name: 'Dr. Ayşe' });
		(doc.getMap('practitioners').get(p.id) as Y.Map<unknown>).set('hours.fri', { open: 'yes' });
		const hours = practitionerHours(received(doc), p.id);
		expect(hours.own).toEqual({});
		expect(hours.effective.fri).toEqual(DEFAULT_BUSINESS_HOURS.fri);
		expect(practitionerHours(doc, 'missing').effective).toEqual(DEFAULT_BUSINESS_HOURS);
	});

	it('two admins setting different weekdays of one practitioner both keep their change', () => {
		const a = new Y.Doc();
		const b = new Y.Doc();
		const p = addPractitioner(a, { name: 'Dr. Ayşe' });
		sync(a, b);
		setPractitionerHours(a, p.id, 'mon', withBreak);
		setPractitionerHours(b, p.id, 'thu', { open: false, intervals: [] });
		sync(a, b);
		expect(practitionerHours(a, p.id).own).toEqual({ mon: withBreak, thu: { open: false, intervals: [] } });
		expect(practitionerHours(b, p.id)).toEqual(practitionerHours(a, p.id));
	});
});

describe('rooms and services', () => {
	it('rooms: add, rename, recolour, deactivate, reorder; bad input refused', () => {
		const doc = new Y.Doc();
		const r1 = addRoom(doc, { name: 'Oda 1' });
		const r2 = addRoom(doc, { name: 'Oda 2', color: '#15803d' });
		changeRoom(doc, r1.id, { name: 'Cerrahi', active: false });
		moveRoom(doc, r2.id, 0);
		expect(listRooms(received(doc))).toEqual([
			{ ...r2, active: true },
			{ id: r1.id, name: 'Cerrahi', color: r1.color, active: false }
		]);
		refusedWithoutWriting(doc, () => addRoom(doc, { name: '' }), /catalog.name/);
		refusedWithoutWriting(doc, () => changeRoom(doc, r1.id, { color: 'blue' as '#000000' }));
	});

	it('services: default duration and buffer; bad numbers refused; bad stored numbers fall back', () => {
		const doc = new Y.Doc();
		const cleaning = addService(doc, { name: 'Diş taşı temizliği', durationMinutes: 45, bufferMinutes: 10 });
		const checkup = addService(doc, { name: 'Kontrol' });
		expect(checkup).toMatchObject({ durationMinutes: 30, bufferMinutes: 0, active: true });
		changeService(doc, checkup.id, { durationMinutes: 20, bufferMinutes: 5 });
		moveService(doc, checkup.id, 0);
		expect(listServices(received(doc)).map((s) => [s.name, s.durationMinutes, s.bufferMinutes])).toEqual([
			['Kontrol', 20, 5],
			['Diş taşı temizliği', 45, 10]
		]);
		refusedWithoutWriting(doc, () => changeService(doc, checkup.id, { durationMinutes: 0 }), /catalog.duration/);
		refusedWithoutWriting(doc, () => changeService(doc, checkup.id, { durationMinutes: 12.5 }), /catalog.duration/);
		refusedWithoutWriting(doc, () => changeService(doc, checkup.id, { bufferMinutes: -5 }), /catalog.buffer/);
		const stored = doc.getMap('services').get(cleaning.id) as Y.Map<unknown>;
		stored.set('durationMinutes', '45');
		stored.set('bufferMinutes', 1e9);
		expect(listServices(received(doc))[1]).toMatchObject({ durationMinutes: 30, bufferMinutes: 0 });
	});
});
