import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
	addAppointment,
	changeAppointment,
	deleteAppointment,
	listAppointments,
	scheduleDoc,
	type Appointment,
	type ScheduleDoc
} from '../../src/lib/domain/schedule.ts';
import { moveAppointment, reconcileMoves } from '../../src/lib/domain/scheduleMoves.ts';

const MONTHS = ['2026-11', '2026-12', '2027-01'];

/** One device's copies of the months' docs. */
class Device {
	readonly docs = new Map<string, ScheduleDoc>(MONTHS.map((m) => [m, scheduleDoc(`c1/schedule/${m}`, new Y.Doc())]));
	month(m: string): ScheduleDoc {
		return this.docs.get(m)!;
	}
	/** Where the appointment shows, month by month. */
	where(id: string): Record<string, Appointment> {
		const found: Record<string, Appointment> = {};
		for (const [m, s] of this.docs) {
			const a = listAppointments(s).find((x) => x.id === id);
			if (a) found[m] = a;
		}
		return found;
	}
	reconcile(settled = true) {
		return reconcileMoves(this.docs, () => settled);
	}
}

function sync(a: Device, b: Device, months = MONTHS) {
	for (const m of months) {
		const x = a.month(m).doc;
		const y = b.month(m).doc;
		Y.applyUpdate(y, Y.encodeStateAsUpdate(x, Y.encodeStateVector(y)));
		Y.applyUpdate(x, Y.encodeStateAsUpdate(y, Y.encodeStateVector(x)));
	}
}

const booking = { practitionerId: 'p1', patientId: 'c1', start: '2026-11-30T10:00', durationMinutes: 30, createdBy: 'u1' };

describe('moving an appointment to another month', () => {
	it('SCHEDULE-MOVE-1 shows it only in the new month, with its fields and the change; the old entry is not listed', () => {
		const d = new Device();
		const a = addAppointment(d.month('2026-11'), { ...booking, note: 'bring x-ray' });
		const moved = moveAppointment(d.month('2026-11'), d.month('2026-12'), a.id, {
			start: '2026-12-02T11:00',
			practitionerId: 'p2'
		});
		expect(Object.keys(d.where(a.id))).toEqual(['2026-12']);
		expect(d.where(a.id)['2026-12']).toEqual(moved);
		expect(moved).toMatchObject({ note: 'bring x-ray', start: '2026-12-02T11:00', practitionerId: 'p2', patientId: 'c1' });
		expect(d.reconcile()).toEqual({ needs: new Set(), repaired: 0 });
		// The moved-away entry can no longer be changed or deleted where it was.
		expect(() => changeAppointment(d.month('2026-11'), a.id, { note: 'x' })).toThrow(/no such appointment/);
		expect(() => deleteAppointment(d.month('2026-11'), a.id)).toThrow(/no such appointment/);
	});

	it('refuses a start outside the target month and a missing appointment, and writes nothing', () => {
		const d = new Device();
		const a = addAppointment(d.month('2026-11'), booking);
		const before = MONTHS.map((m) => Y.encodeStateVector(d.month(m).doc));
		expect(() => moveAppointment(d.month('2026-11'), d.month('2026-12'), a.id, { start: '2027-01-02T11:00' })).toThrow(
			/outside 2026-12/
		);
		expect(() => moveAppointment(d.month('2026-11'), d.month('2026-12'), 'nope', { start: '2026-12-02T11:00' })).toThrow(
			/no such appointment/
		);
		expect(() =>
			moveAppointment(d.month('2026-11'), d.month('2026-12'), a.id, { start: '2026-12-02T23:30', durationMinutes: 120 })
		).toThrow(/midnight/);
		expect(MONTHS.map((m) => Y.encodeStateVector(d.month(m).doc))).toEqual(before);
	});

	it('SCHEDULE-MOVE-2 an edit made offline to the old month while another device moved it is carried over', () => {
		const a = new Device();
		const b = new Device();
		const appt = addAppointment(a.month('2026-11'), booking);
		sync(a, b);
		moveAppointment(a.month('2026-11'), a.month('2026-12'), appt.id, { start: '2026-12-01T09:00' });
		changeAppointment(b.month('2026-11'), appt.id, { note: 'allergic to latex', status: 'confirmed' });
		sync(a, b);
		expect(b.reconcile().repaired).toBe(1);
		sync(a, b);
		for (const d of [a, b]) {
			expect(Object.keys(d.where(appt.id))).toEqual(['2026-12']);
			expect(d.where(appt.id)['2026-12']).toMatchObject({
				start: '2026-12-01T09:00',
				note: 'allergic to latex',
				status: 'confirmed'
			});
			expect(d.reconcile().repaired).toBe(0);
		}
	});

	it('SCHEDULE-MOVE-2 a note written on both sides keeps both texts', () => {
		const a = new Device();
		const b = new Device();
		const appt = addAppointment(a.month('2026-11'), booking);
		sync(a, b);
		moveAppointment(a.month('2026-11'), a.month('2026-12'), appt.id, { start: '2026-12-01T09:00' });
		changeAppointment(a.month('2026-12'), appt.id, { note: 'moved at patient request' });
		changeAppointment(b.month('2026-11'), appt.id, { note: 'pays by card' });
		sync(a, b);
		a.reconcile();
		sync(a, b);
		expect(b.where(appt.id)['2026-12'].note).toBe('moved at patient request\npays by card');
	});

	it('SCHEDULE-MOVE-3 two devices moving it to different months end with it in one month, on both', () => {
		const a = new Device();
		const b = new Device();
		const appt = addAppointment(a.month('2026-11'), booking);
		sync(a, b);
		moveAppointment(a.month('2026-11'), a.month('2026-12'), appt.id, { start: '2026-12-01T09:00' });
		moveAppointment(b.month('2026-11'), b.month('2027-01'), appt.id, { start: '2027-01-05T09:00' });
		changeAppointment(b.month('2027-01'), appt.id, { note: 'written after the move' });
		sync(a, b);
		// Before the repair both copies show: nothing is lost in between.
		expect(Object.keys(a.where(appt.id))).toHaveLength(2);
		a.reconcile();
		b.reconcile();
		sync(a, b);
		a.reconcile();
		sync(a, b);
		const shown = a.where(appt.id);
		expect(Object.keys(shown)).toHaveLength(1);
		expect(b.where(appt.id)).toEqual(shown);
		expect(Object.values(shown)[0].note).toBe('written after the move');
	});

	it('SCHEDULE-MOVE-4 a move cut short after its first write completes, and it shows once', () => {
		const a = new Device();
		const b = new Device();
		const appt = addAppointment(a.month('2026-11'), booking);
		sync(a, b);
		moveAppointment(a.month('2026-11'), a.month('2026-12'), appt.id, { start: '2026-12-01T09:00' });
		// Only December's write reached the other device (the tablet died before November's went out).
		sync(a, b, ['2026-12']);
		expect(Object.keys(b.where(appt.id))).toEqual(['2026-11', '2026-12']);
		expect(b.reconcile().repaired).toBe(1);
		expect(Object.keys(b.where(appt.id))).toEqual(['2026-12']);
	});

	it('SCHEDULE-MOVE-4 an entry marked moved to a month that never had it is shown again once that month is caught up', () => {
		const d = new Device();
		const appt = addAppointment(d.month('2026-11'), booking);
		// What a tampering device could send: the mark without the copy.
		(d.month('2026-11').doc.getMap('appointments').get(appt.id) as Y.Map<unknown>).set('movedTo', '2026-12');
		expect(d.where(appt.id)).toEqual({});
		expect(d.reconcile(false).repaired).toBe(0);
		expect(d.reconcile(true).repaired).toBe(1);
		expect(Object.keys(d.where(appt.id))).toEqual(['2026-11']);
	});

	it('moving back to the month it came from shows it there once, still booked by whoever booked it', () => {
		const d = new Device();
		const appt = addAppointment(d.month('2026-11'), booking);
		moveAppointment(d.month('2026-11'), d.month('2026-12'), appt.id, { start: '2026-12-01T09:00' });
		const back = moveAppointment(d.month('2026-12'), d.month('2026-11'), appt.id, { start: '2026-11-28T09:00' });
		expect(back.createdBy).toBe('u1');
		expect(Object.keys(d.where(appt.id))).toEqual(['2026-11']);
		expect(d.where(appt.id)['2026-11']).toMatchObject({ start: '2026-11-28T09:00', createdBy: 'u1' });
		expect(d.reconcile().repaired).toBe(0);
	});

	it('an appointment deleted after its move stays deleted', () => {
		const d = new Device();
		const appt = addAppointment(d.month('2026-11'), booking);
		moveAppointment(d.month('2026-11'), d.month('2026-12'), appt.id, { start: '2026-12-01T09:00' });
		deleteAppointment(d.month('2026-12'), appt.id);
		expect(d.reconcile().repaired).toBe(0);
		expect(d.where(appt.id)).toEqual({});
	});

	it('names the months it needs when they are not at hand', () => {
		const d = new Device();
		const appt = addAppointment(d.month('2026-11'), booking);
		moveAppointment(d.month('2026-11'), d.month('2026-12'), appt.id, { start: '2026-12-01T09:00' });
		const onlyDecember = new Map([['2026-12', d.month('2026-12')]]);
		expect(reconcileMoves(onlyDecember, () => true).needs).toEqual(new Set(['2026-11']));
	});
});
