import { docNames } from '$lib/domain/docName.ts';
import { weekdayOf, type DayHours } from '$lib/domain/businessHours.ts';
import type { ClosedDay } from '$lib/domain/clinicSettings.ts';
import type { Practitioner } from '$lib/domain/directory.ts';
import {
	addAppointment,
	cancelAppointment,
	changeAppointment,
	deleteAppointment,
	findClashes,
	listAppointments,
	monthOf,
	scheduleDoc,
	type Appointment,
	type AppointmentChange,
	type AppointmentInput,
	type ScheduleDoc
} from '$lib/domain/schedule.ts';
import type { ClinicSync, DocHandle } from '$lib/sync/clinic-sync.svelte.ts';
import { today } from './days.ts';
import { PractitionerList } from './practitioner-list.svelte.ts';

/**
 * One day of the appointment book: the practitioners (directory doc) and the day's appointments (its month's
 * schedule doc), kept current as edits arrive from this device, IndexedDB or other devices. Holds the directory
 * and the shown month's doc; a month left behind is released (the device keeps a few recent ones open).
 */
export class ScheduleDay {
	day = $state(today());
	readonly #practitioners: PractitionerList;
	appointments = $state<Appointment[]>([]);
	/** Who can be booked now: active practitioners, in the order admins set. */
	readonly bookable: Practitioner[] = $derived.by(() => this.#practitioners.active);
	/**
	 * The day's columns, in the order admins set: active practitioners, and deactivated ones who still have
	 * appointments this day (kept for history, so those appointments do not vanish).
	 */
	readonly practitioners: Practitioner[] = $derived.by(() =>
		this.#practitioners.all.filter((p) => p.active || this.appointments.some((a) => a.practitionerId === p.id))
	);
	/** Each column's working hours on the shown day, by practitioner id. */
	readonly hours: Record<string, DayHours> = $derived.by(() => {
		const weekday = weekdayOf(this.day);
		const week = this.#practitioners.hours;
		return Object.fromEntries(this.practitioners.flatMap((p) => (week[p.id] ? [[p.id, week[p.id][weekday]]] : [])));
	});
	/** The holiday the clinic is closed for on the shown day, if any. */
	readonly closedDay: ClosedDay | undefined = $derived.by(() => this.#practitioners.closedDays.find((d) => d.date === this.day));
	/** True once both docs hold what the device stored: the view renders without waiting for the network. */
	loaded = $state(false);
	readonly clashes = $derived(findClashes(this.appointments));

	readonly #sync: ClinicSync;
	readonly #clinicId: string;
	#month: { handle: DocHandle; schedule: ScheduleDoc } | null = null;
	#generation = 0;
	#destroyed = false;

	constructor(sync: ClinicSync, clinicId: string, day?: string) {
		this.#sync = sync;
		this.#clinicId = clinicId;
		this.#practitioners = new PractitionerList(sync, clinicId);
		this.show(day ?? today());
		// Opened on "today": once the directory says the clinic's time zone, that is the day to open on.
		if (day === undefined) {
			void this.#practitioners.whenLoaded.then(() => {
				const clinicToday = this.today();
				// Unless the screen is gone or someone already moved to another day.
				if (!this.#destroyed && this.day !== clinicToday && this.day === today()) this.show(clinicToday);
			});
		}
	}

	/** Today in the clinic's time zone. */
	today(): string {
		return today(this.#practitioners.timeZone ?? undefined);
	}

	get month(): string {
		return monthOf(this.day);
	}

	show(day: string): void {
		this.day = day;
		const name = docNames.schedule(this.#clinicId, monthOf(day));
		if (this.#month?.handle.name !== name) {
			this.#leaveMonth();
			const handle = this.#sync.acquire(name);
			this.#month = { handle, schedule: scheduleDoc(name, handle.doc) };
			handle.doc.on('update', this.#readAppointments);
			const generation = ++this.#generation;
			this.loaded = false;
			void Promise.all([handle.loaded, this.#practitioners.whenLoaded]).then(() => {
				if (generation === this.#generation) this.loaded = true;
			});
		}
		this.#readAppointments();
	}

	/** The appointment with this id wherever it is in the open month (another device may have moved its day). */
	find(id: string): Appointment | null {
		return this.#month ? (listAppointments(this.#month.schedule).find((a) => a.id === id) ?? null) : null;
	}

	add(input: AppointmentInput): Appointment {
		return addAppointment(this.#schedule(), input);
	}

	change(id: string, change: AppointmentChange): Appointment {
		return changeAppointment(this.#schedule(), id, change);
	}

	/** Marks it cancelled: it stays on the day, shown as cancelled. */
	cancel(id: string): Appointment {
		return cancelAppointment(this.#schedule(), id);
	}

	/** Undoes a cancellation. */
	restore(id: string): Appointment {
		return changeAppointment(this.#schedule(), id, { status: 'booked' });
	}

	remove(id: string): void {
		deleteAppointment(this.#schedule(), id);
	}

	destroy(): void {
		this.#destroyed = true;
		this.#generation++;
		this.#leaveMonth();
		this.#practitioners.destroy();
	}

	#leaveMonth(): void {
		if (!this.#month) return;
		this.#month.handle.doc.off('update', this.#readAppointments);
		this.#month.handle.release();
		this.#month = null;
	}

	#schedule(): ScheduleDoc {
		if (!this.#month) throw new Error('no month open');
		return this.#month.schedule;
	}

	readonly #readAppointments = () => {
		this.appointments = this.#month ? listAppointments(this.#month.schedule, this.day) : [];
	};
}
