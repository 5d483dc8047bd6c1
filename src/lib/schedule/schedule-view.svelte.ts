import { byCodeUnit } from '$lib/domain/order.ts';
import { weekdayOf, type DayHours } from '$lib/domain/businessHours.ts';
import { listBusy, lostVersions, type BusyBlock, type LostVersion } from '$lib/domain/calendarBusy.ts';
import type { ClosedDay } from '$lib/domain/clinicSettings.ts';
import type { Practitioner } from '$lib/domain/directory.ts';
import {
	addAppointment,
	cancelAppointment,
	changeAppointment,
	clashingIds,
	deleteAppointment,
	listAppointments,
	listClashes,
	monthOf,
	sentReminders,
	type Appointment,
	type SentReminder,
	type AppointmentChange,
	type AppointmentInput,
	type Clash
} from '$lib/domain/schedule.ts';
import { moveAppointment } from '$lib/domain/scheduleMoves.ts';
import {
	addSeries,
	changeFollowing,
	monthsBetween,
	seriesMonths,
	seriesStarts,
	type Repeat
} from '$lib/domain/scheduleSeries.ts';
import { serviceBuffers } from '$lib/domain/services.ts';
import { readAppointmentRows, type FrontdeskDatabase } from '$lib/local/index.ts';
import type { ClinicSync, DocHandle } from '$lib/sync/clinic-sync.svelte.ts';
import { contactLabel, readContact, resolveContact } from '$lib/domain/contacts.ts';
import { docNames } from '$lib/domain/docName.ts';
import { noteBookingMonth } from '$lib/domain/patientAppointments.ts';
import { afterPaint } from '$lib/ui/afterPaint.ts';
import { busyOverlapping } from './busyTimes.ts';
import { today, weekOf } from './days.ts';
import { PractitionerList } from './practitioner-list.svelte.ts';
import { ScheduleMonths } from './scheduleMonths.ts';

export type ScheduleRange = 'day' | 'week';

/** What the screen does around drawing the shown days from the device's table. */
export interface DrawingHooks {
	/**
	 * Awaited with the appointments read from the table, once the directory is in, before they are drawn (the page
	 * reads the shown cards' patients' names with it, so the first cards carry them).
	 */
	before?: (rows: readonly Appointment[]) => Promise<unknown>;
	/** Resolves once those cards are on screen: the month docs start loading then. Default: two frames later. */
	shown?: (rows: readonly Appointment[]) => Promise<void>;
}

const daysOf = (day: string, range: ScheduleRange) => (range === 'week' ? weekOf(day) : [day]);

/**
 * The appointment book as one screen shows it: a day or a week (`range`), the practitioners, rooms and services
 * (directory doc) and the appointments of the months those days fall in (one schedule doc per month, two for a
 * week across a month's end), kept current as edits arrive from this device, IndexedDB or other devices. Writes
 * go through the domain: a new start in another month moves the appointment (`scheduleMoves.ts`).
 */
export class ScheduleView {
	day = $state(today());
	range = $state<ScheduleRange>('day');
	readonly days: string[] = $derived(daysOf(this.day, this.range));
	/**
	 * Replaced whole on each read, never changed in place: held raw, so reading a week of hundreds of appointments
	 * does not make a signal of each one's every field.
	 */
	appointments = $state.raw<Appointment[]>([]);
	/** The practitioners' busy times in their Google Calendars on the shown days (SCHEDULE-GOOGLE-UI-1). */
	busy = $state.raw<BusyBlock[]>([]);
	readonly #directory: PractitionerList;
	readonly bookable: Practitioner[] = $derived.by(() => this.#directory.active);
	/** The columns of the shown days (`practitionersOf` the shown appointments). */
	readonly practitioners: Practitioner[] = $derived.by(() => this.practitionersOf(this.appointments));
	readonly rooms = $derived.by(() => this.#directory.rooms);
	readonly services = $derived.by(() => this.#directory.services);
	/** Each practitioner's working hours on each shown day: `hours[practitionerId][day]`. */
	readonly hours: Record<string, Record<string, DayHours>> = $derived.by(() => {
		const week = this.#directory.hours;
		return Object.fromEntries(
			this.practitioners.flatMap((p) =>
				week[p.id] ? [[p.id, Object.fromEntries(this.days.map((d) => [d, week[p.id][weekdayOf(d)]]))]] : []
			)
		);
	});
	/** The holidays the clinic is closed for among the shown days. */
	readonly closedDays: ClosedDay[] = $derived.by(() => this.#directory.closedDays.filter((d) => this.days.includes(d.date)));
	/** True once the directory and the shown months hold what the device stored: rendered without the network. */
	loaded = $state(false);
	/**
	 * True once the shown days' appointments are on screen: from the device's appointments table while the month docs
	 * load (hundreds of KB each), or from the docs. Writes wait for `loaded`.
	 */
	drawn = $state(false);
	/**
	 * True while a shown month holds nothing on this device and the server has not answered (SCHEDULE-UNHEARD-1): its
	 * days are unknown, not empty.
	 */
	readonly unheard: boolean = $derived.by(() => {
		void this.appointments;
		return this.loaded && this.#months.unheard().length > 0;
	});
	/** Overlaps among the shown appointments, a service's buffer counted. */
	readonly clashList: Clash[] = $derived.by(() => listClashes(this.appointments, serviceBuffers(this.services)));
	readonly clashes: ReadonlySet<string> = $derived(clashingIds(this.clashList));

	readonly #months: ScheduleMonths;
	/**
	 * The contacts doc, where each patient's booked months are noted: opened at the first booking or merged name,
	 * not with the screen (with thousands of patients its loading would hold the week back).
	 */
	#contactsHandle: DocHandle | null = null;
	readonly #sync: ClinicSync;
	readonly #db: FrontdeskDatabase;
	readonly #clinicId: string;
	/** Resolves once the shown months are loaded (replaced on each `show`). */
	#whenLoaded: Promise<void> = Promise.resolve();
	#generation = 0;
	#destroyed = false;
	readonly #drawing: Required<DrawingHooks>;
	/** Lets the sockets open (`ClinicSync.holdConnecting`): once the first cards are on screen, or are not coming from the table. */
	readonly #letConnect: () => void;

	constructor(
		sync: ClinicSync,
		db: FrontdeskDatabase,
		clinicId: string,
		day?: string,
		range: ScheduleRange = 'day',
		drawing: DrawingHooks = {}
	) {
		this.#drawing = {
			before: drawing.before ?? (async () => {}),
			shown: drawing.shown ?? (() => new Promise<void>((resolve) => afterPaint(resolve, 2)))
		};
		this.#directory = new PractitionerList(sync, clinicId);
		this.#sync = sync;
		this.#db = db;
		this.#clinicId = clinicId;
		this.#letConnect = sync.holdConnecting();
		this.#months = new ScheduleMonths(sync, clinicId, () => {
			this.#read();
			if (this.loaded) queueMicrotask(() => void this.#months.repair());
		});
		this.show(day ?? today(), range);
		// Opened on "today": once the directory says the clinic's time zone, that is the day to open on.
		if (day === undefined) {
			void this.#directory.whenLoaded.then(() => {
				const clinicToday = this.today();
				if (!this.#destroyed && this.day !== clinicToday && this.day === today()) this.show(clinicToday);
			});
		}
	}

	/** The name of a patient as the contacts doc has it, following merges; undefined while unknown. */
	contactName(id: string): string | undefined {
		const contact = resolveContact(this.#contacts.doc, id);
		return contact ? contactLabel(contact) : undefined;
	}

	/** True once the directory holds what the device stored: the practitioners (the columns) are known. */
	get columnsKnown(): boolean {
		return this.#directory.loaded;
	}

	/**
	 * The practitioners given columns for these appointments: the active ones, in the order admins set, and the
	 * deactivated ones who have some of them (kept for history, so those appointments do not vanish).
	 */
	practitionersOf(appointments: readonly Appointment[]): Practitioner[] {
		return this.#directory.all.filter((p) => p.active || appointments.some((a) => a.practitionerId === p.id));
	}

	/** Today in the clinic's time zone. */
	today(): string {
		return today(this.#directory.timeZone ?? undefined);
	}

	show(day: string, range: ScheduleRange = this.range): void {
		this.day = day;
		this.range = range;
		const generation = ++this.#generation;
		const days = this.days;
		const months = days.map(monthOf);
		// Another day or week of months already open is there at once: the screen does not blank while it waits.
		const opening = !this.loaded || !months.every((m) => this.#months.shown.has(m));
		if (opening) this.loaded = this.drawn = false;
		// The days from the device's appointments table first; the month docs (hundreds of KB each, applied in turns
		// on the main thread) start loading once that read is in, so they do not hold it up.
		const fromTable = opening ? readAppointmentRows(this.#db, days).catch(() => null) : Promise.resolve(null);
		this.#whenLoaded = fromTable.then(async (rows) => {
			if (generation !== this.#generation) return;
			// Cards from the table are painted before the month docs load: applying one takes the main thread for a
			// while, and started in the same moment it held the frame that shows the cards (about 200 ms, measured).
			if (rows) await this.#drawFromTable(rows, generation);
			// Drawn from the table and on screen, or not in it (then the month docs may have to come over the network).
			this.#letConnect();
			if (generation !== this.#generation) return;
			await Promise.all([this.#months.show(months), this.#directory.whenLoaded]);
			if (generation !== this.#generation) return;
			this.loaded = true;
			this.#read();
			this.drawn = true;
			void this.#months.repair();
		});
		this.#read();
	}

	/** Resolves once the shown months' docs are loaded, when writes and their checks can run. */
	async whenLoaded(): Promise<void> {
		while (!this.loaded && !this.#destroyed) await this.#whenLoaded;
	}

	/** The shown days as the table has them, once the directory (the columns) is in, unless the docs were quicker. */
	async #drawFromTable(rows: Appointment[], generation: number): Promise<void> {
		await this.#directory.whenLoaded;
		if (generation !== this.#generation || this.loaded || this.#destroyed) return;
		await this.#drawing.before(rows).catch(() => undefined);
		if (generation !== this.#generation || this.loaded || this.#destroyed) return;
		this.appointments = rows;
		this.drawn = true;
		// The month docs load once the cards are on screen, not in the frames that bring them there: two frames after
		// drawing, the cards' raster was still running (tens of ms on a tablet's CPU) and the docs' loading competed
		// with it; started before any frame, they held the cards back ~130 ms (traces of the week's benchmark).
		await this.#drawing.shown(rows);
	}

	/** The appointment with this id in the shown months (another device may have moved it), or null. */
	find(id: string): Appointment | null {
		return this.#months.find(id)?.appointment ?? null;
	}

	/** The reminders sent for the appointment's current start (REMIND-RECORD-1). */
	remindersOf(id: string): SentReminder[] {
		const found = this.#months.find(id);
		return found ? sentReminders(found.month, id) : [];
	}

	/**
	 * Google's versions of the appointment that lost to the book's (SCHEDULE-GOOGLE-UI-2), oldest first; read from the
	 * month it is in now.
	 */
	lostVersionsOf(id: string): LostVersion[] {
		const found = this.#months.find(id);
		return found ? lostVersions(found.month, id) : [];
	}

	/**
	 * The practitioner's busy times in Google Calendar that a booking from `start` would overlap, from the month doc
	 * of that day when it is open (any day of a shown month, not only the shown days). Reactive through `busy`.
	 */
	busyDuring(practitionerId: string, start: string, durationMinutes: number, bufferMinutes = 0): BusyBlock[] {
		void this.busy;
		if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(start)) return [];
		const month = this.#months.shown.get(monthOf(start));
		if (!month) return [];
		return busyOverlapping(listBusy(month.doc, start.slice(0, 10)), practitionerId, start, durationMinutes, bufferMinutes);
	}

	/** The clinic's time zone once the directory says it. */
	get timeZone(): string | null {
		return this.#directory.timeZone;
	}

	/** Books an appointment, or with `repeat` every occurrence of a series; returns the (first) one booked. */
	async add(input: AppointmentInput, repeat?: Repeat): Promise<Appointment> {
		if (!repeat) {
			const booked = await this.#months.write([monthOf(input.start)], (month) =>
				addAppointment(month(monthOf(input.start)), input)
			);
			await this.#noteMonths([booked]);
			return booked;
		}
		const starts = seriesStarts(input.start, repeat);
		const months = monthsBetween(monthOf(starts[0]), monthOf(starts[starts.length - 1]));
		const booked = await this.#months.write(months, (month) => addSeries(month, input, repeat));
		await this.#noteMonths(booked);
		return booked[0];
	}

	/** Changes an appointment; a new start in another month moves it there. */
	async change(id: string, change: AppointmentChange): Promise<Appointment> {
		// A card drawn from the table may be dragged before its month doc is in.
		await this.whenLoaded();
		const from = this.#monthOf(id);
		const to = change.start === undefined ? from : monthOf(change.start);
		const changed = await this.#months.write([from, to], (month) => moveAppointment(month(from), month(to), id, change));
		if (to !== from || change.patientId !== undefined) await this.#noteMonths([changed]);
		return changed;
	}

	/** "This and following" for an occurrence of a series. */
	async changeFollowing(occurrence: Appointment, change: AppointmentChange): Promise<Appointment[]> {
		const changed = await this.#months.write(seriesMonths(occurrence), (month) => changeFollowing(month, occurrence, change));
		await this.#noteMonths(changed);
		return changed;
	}

	/** Marks it cancelled: it stays in the book, shown as cancelled. */
	cancel(id: string): Appointment {
		return cancelAppointment(this.#docOf(id), id);
	}

	/** Undoes a cancellation. */
	restore(id: string): Appointment {
		return changeAppointment(this.#docOf(id), id, { status: 'booked' });
	}

	remove(id: string): void {
		deleteAppointment(this.#docOf(id), id);
	}

	destroy(): void {
		this.#destroyed = true;
		this.#generation++;
		this.#letConnect();
		this.#months.destroy();
		this.#directory.destroy();
		this.#contactsHandle?.release();
	}

	get #contacts(): DocHandle {
		this.#contactsHandle ??= this.#sync.acquire(docNames.contacts(this.#clinicId));
		return this.#contactsHandle;
	}

	/** Notes on each patient's record the months they are booked in, so their page finds these (PATIENT-APPT-1). */
	async #noteMonths(appointments: readonly Appointment[]): Promise<void> {
		await this.#contacts.loaded;
		this.#contacts.doc.transact(() => {
			for (const a of appointments) {
				// A patient erased meanwhile has no record to note it on.
				if (a.patientId && readContact(this.#contacts.doc, a.patientId))
					noteBookingMonth(this.#contacts.doc, a.patientId, monthOf(a.start));
			}
		});
	}

	#docOf(id: string) {
		const found = this.#months.find(id);
		if (!found) throw new Error('the appointment is not in the months shown');
		return found.month;
	}

	#monthOf(id: string): string {
		return this.#docOf(id).month;
	}

	#read(): void {
		// Drawn from the table: kept until every shown month is in (one month of two would show half a week).
		if (this.drawn && !this.loaded) return;
		const days = this.days;
		const list: Appointment[] = [];
		const busy: BusyBlock[] = [];
		for (const schedule of this.#months.shown.values()) {
			list.push(...listAppointments(schedule, days));
			busy.push(...listBusy(schedule.doc, days));
		}
		this.appointments = list.sort((a, b) => byCodeUnit(a.start, b.start) || byCodeUnit(a.id, b.id));
		this.busy = busy.sort((a, b) => byCodeUnit(a.start, b.start) || byCodeUnit(a.key, b.key));
	}
}
