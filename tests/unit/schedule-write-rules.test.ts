import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
	addAppointment,
	cancelAppointment,
	changeAppointment,
	deleteAppointment,
	listAppointments,
	scheduleDoc,
	type ScheduleDoc
} from '../../src/lib/domain/schedule.ts';
import { checkScheduleWrite, ScheduleRuleError, type ScheduleWriter } from '../../src/lib/domain/scheduleWriteRules.ts';
import { busyPieces, listBusy, lostVersions, recordLostVersion, setBusyPieces } from '../../src/lib/domain/calendarBusy.ts';

const NAME = 'c1/schedule/2026-11';
const ADMIN: ScheduleWriter = { userId: 'admin1', role: 'admin' };
const RECEPTION: ScheduleWriter = { userId: 'recep1', role: 'reception' };

/**
 * The server's doc and a device's edit: the device starts from the server's state (as one does after a refused
 * update, when it syncs again), edits, and the server applies and checks what it sent. A refused update leaves
 * the server as it was stored before (the real room rebuilds its doc from the store).
 */
function setup() {
	let stored = Y.encodeStateAsUpdate(new Y.Doc());
	const fromStore = () => {
		const doc = new Y.Doc();
		Y.applyUpdate(doc, stored);
		return doc;
	};
	const send = (edit: (schedule: ScheduleDoc) => void, writer: ScheduleWriter) => {
		const server = fromStore();
		const device = fromStore();
		const before = Y.encodeStateVector(device);
		edit(scheduleDoc(NAME, device));
		const update = Y.encodeStateAsUpdate(device, before);
		server.transact((transaction) => {
			Y.applyUpdate(server, update);
			checkScheduleWrite(transaction, writer);
		});
		stored = Y.encodeStateAsUpdate(server);
	};
	const book = (writer: ScheduleWriter, patientName: string, createdBy: string | null = writer.userId) => {
		let id = '';
		send((s) => {
			id = addAppointment(s, {
				practitionerId: 'p1',
				start: '2026-11-26T10:00',
				durationMinutes: 30,
				patientName,
				createdBy: createdBy ?? undefined
			}).id;
		}, writer);
		return id;
	};
	return { server: fromStore, send, book };
}

describe('SYNC-RULE-1: the schedule’s write rules by writer', () => {
	it('reception deletes what it booked, but not what someone else booked; it cancels that instead', () => {
		const { server, send, book } = setup();
		const admins = book(ADMIN, 'Zeynep Arslan');
		const own = book(RECEPTION, 'Can Öztürk');
		expect(() => send((s) => deleteAppointment(s, admins), RECEPTION)).toThrow(ScheduleRuleError);
		send((s) => cancelAppointment(s, admins), RECEPTION);
		send((s) => deleteAppointment(s, own), RECEPTION);
		expect(listAppointments(server()).map((a) => [a.id, a.status])).toEqual([[admins, 'cancelled']]);
	});

	it('admins and practitioners delete anyone’s appointments; an appointment from before createdBy is nobody’s own', () => {
		const { send, book } = setup();
		const reception = book(RECEPTION, 'Selin Aydın');
		send((s) => deleteAppointment(s, reception), ADMIN);
		const legacy = book(ADMIN, 'Burak Şahin', null);
		expect(() => send((s) => deleteAppointment(s, legacy), RECEPTION)).toThrow(/cancels/);
		send((s) => deleteAppointment(s, legacy), { userId: 'prac1', role: 'practitioner' });
	});

	it('a new appointment names its writer as creator, never someone else; the creator never changes', () => {
		const { send, book } = setup();
		expect(() => book(RECEPTION, 'Deniz Koç', 'admin1')).toThrow(/someone else/);
		const id = book(ADMIN, 'Deniz Koç');
		expect(() =>
			send((s) => {
				// Around the domain (which never rewrites it), as a tampered client would.
				const map = s.doc.getMap<Y.Map<unknown>>('appointments').get(id)!;
				map.set('createdBy', 'recep1');
			}, RECEPTION)
		).toThrow(/does not change/);
		// Ordinary edits of someone else's appointment are fine.
		send((s) => changeAppointment(s, id, { note: 'prefers mornings' }), RECEPTION);
	});

	it('SCHEDULE-GOOGLE-8: busy times and versions lost to Google come from the server only, never from a device', () => {
		const { server, send, book } = setup();
		const id = book(ADMIN, 'Ece Yıldız');
		const busy = busyPieces('ev1', 'p1', '2026-11-26T12:00', '2026-11-26T13:00');
		expect(() => send((s) => setBusyPieces(s, 'ev1', busy), ADMIN)).toThrow(/Google Calendar only/);
		expect(() =>
			send((s) => recordLostVersion(s, id, { id: 'l1', at: '2026-11-25T10:00:00.000Z', deleted: true }), ADMIN)
		).toThrow(/server only/);
		expect(listBusy(server())).toEqual([]);
		expect(lostVersions(server(), id)).toEqual([]);
	});
});
