import { byCodeUnit } from '$lib/domain/order.ts';
import * as Y from 'yjs';
import { findAppointment, listAppointments, monthOf, observeAppointments, type Appointment } from '$lib/domain/schedule.ts';
import type { FrontdeskDatabase } from './db.ts';
import { monthMark, type AppointmentRow } from './scheduleTables.ts';

const rowOf = (month: string, appointment: Appointment): AppointmentRow => ({
	month,
	id: appointment.id,
	day: appointment.start.slice(0, 10),
	appointment
});

const sameAppointment = (a: Appointment, b: Appointment) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Keeps the `appointmentRows` of one month from its doc while the doc is open on this device: checked against the
 * doc once it has loaded (skipped when the rows were built from exactly its present state), then row by row as
 * appointments change, here or on other devices. Each write carries the doc's state it reflects, so the next start
 * knows whether the rows can be trusted.
 */
export class MonthIndex {
	readonly #db: FrontdeskDatabase;
	readonly #month: string;
	readonly #doc: Y.Doc;
	#stopObserving: () => void = () => {};
	#queue: Promise<void> = Promise.resolve();
	/** The whole month was compared with its rows in this session: from then on each change may move the mark. */
	#checked = false;
	#stopped = false;

	/** `loaded`: resolves once the doc holds what the device stored; `idle`: when the check may run (after the screen drew). */
	constructor(db: FrontdeskDatabase, month: string, doc: Y.Doc, loaded: Promise<void>, idle: (work: () => void) => void) {
		this.#db = db;
		this.#month = month;
		this.#doc = doc;
		void loaded.then(() => {
			if (this.#stopped) return;
			this.#stopObserving = observeAppointments(doc, (ids) => {
				const state = this.#state();
				void this.#enqueue(() => this.#reindex(ids, state));
			});
			idle(() => void this.#enqueue(() => this.#check()));
		});
	}

	/** Resolves once every change so far is in the table. */
	settled(): Promise<void> {
		return this.#queue;
	}

	stop(): void {
		this.#stopped = true;
		this.#stopObserving();
		this.#stopObserving = () => {};
	}

	#state(): string {
		return btoa(String.fromCharCode(...Y.encodeStateVector(this.#doc)));
	}

	#enqueue(work: () => Promise<void>): Promise<void> {
		const next = this.#queue.then(() => (this.#stopped ? undefined : work()));
		this.#queue = next.catch((error: unknown) => console.error('the appointments table could not be updated', error));
		return this.#queue;
	}

	/** The whole month against its rows: only what differs is written. */
	async #check(): Promise<void> {
		const state = this.#state();
		const mark = await this.#db.indexMarks.get(monthMark(this.#month));
		if (mark?.state === state) {
			this.#checked = true;
			return;
		}
		const appointments = listAppointments(this.#doc).filter((a) => monthOf(a.start) === this.#month);
		await this.#db.transaction('rw', this.#db.appointmentRows, this.#db.indexMarks, async () => {
			const rows = await this.#db.appointmentRows.where('month').equals(this.#month).toArray();
			const stored = new Map(rows.map((r) => [r.id, r.appointment]));
			const current = new Set(appointments.map((a) => a.id));
			const changed = appointments.filter((a) => {
				const before = stored.get(a.id);
				return !before || !sameAppointment(before, a);
			});
			const gone = rows.filter((r) => !current.has(r.id)).map((r): [string, string] => [this.#month, r.id]);
			if (changed.length > 0) await this.#db.appointmentRows.bulkPut(changed.map((a) => rowOf(this.#month, a)));
			if (gone.length > 0) await this.#db.appointmentRows.bulkDelete(gone);
			await this.#db.indexMarks.put({ name: monthMark(this.#month), state });
		});
		this.#checked = true;
	}

	/** These appointments as the doc holds them now; the mark says `state`, the doc's state right after the change. */
	async #reindex(ids: string[], state: string): Promise<void> {
		const put: AppointmentRow[] = [];
		const gone: [string, string][] = [];
		for (const id of ids) {
			const appointment = findAppointment(this.#doc, id);
			// Moved away (to another month's doc) or deleted: no longer this month's.
			if (appointment && monthOf(appointment.start) === this.#month) put.push(rowOf(this.#month, appointment));
			else gone.push([this.#month, id]);
		}
		await this.#db.transaction('rw', this.#db.appointmentRows, this.#db.indexMarks, async () => {
			if (put.length > 0) await this.#db.appointmentRows.bulkPut(put);
			if (gone.length > 0) await this.#db.appointmentRows.bulkDelete(gone);
			// Before the month was checked the other rows may lag the doc: the mark waits for the check.
			if (this.#checked) await this.#db.indexMarks.put({ name: monthMark(this.#month), state });
		});
	}
}

/**
 * The appointments of these days as the device's table has them, or null when a month they fall in was never
 * indexed on this device (the screen then waits for the month docs). Sorted as `listAppointments` sorts.
 */
export async function readAppointmentRows(db: FrontdeskDatabase, days: readonly string[]): Promise<Appointment[] | null> {
	const months = [...new Set(days.map(monthOf))];
	const sorted = [...days].sort();
	const wanted = new Set(days);
	// The marks and the rows are read at once (each read is a round trip to the browser's database process, the
	// longest wait of a cold start); rows of a month without its mark are not used. One range read (a single
	// getAll), not `anyOf`: a cursor step per row waits for the main thread each time, and the month docs loading
	// meanwhile keep it busy.
	const [marks, inRange] = await Promise.all([
		db.indexMarks.bulkGet(months.map(monthMark)),
		db.appointmentRows
			.where('day')
			.between(sorted[0], sorted[sorted.length - 1], true, true)
			.toArray()
	]);
	if (marks.some((m) => !m)) return null;
	const rows = inRange.filter((r) => wanted.has(r.day));
	// During a move both months may hold it for a moment: shown once.
	const byId = new Map<string, Appointment>();
	for (const row of rows) if (!byId.has(row.id)) byId.set(row.id, row.appointment);
	return [...byId.values()].sort(
		(a, b) => byCodeUnit(a.start, b.start) || byCodeUnit(a.practitionerId, b.practitionerId) || byCodeUnit(a.id, b.id)
	);
}
