import type * as Y from 'yjs';
import { docNames } from '$lib/domain/docName.ts';
import { listPractitioners, type Practitioner } from '$lib/domain/directory.ts';
import {
	addAppointment,
	changeAppointment,
	deleteAppointment,
	findClashes,
	listAppointments,
	monthOf,
	type Appointment,
	type AppointmentChange,
	type AppointmentInput
} from '$lib/domain/schedule.ts';
import type { ClinicSync } from '$lib/sync/clinic-sync.svelte.ts';
import { today } from './days.ts';

/**
 * One day of the appointment book: the practitioners (directory doc) and the day's appointments (its month's
 * schedule doc), kept current as edits arrive from this device, IndexedDB or other devices.
 */
export class ScheduleDay {
	day = $state(today());
	practitioners = $state<Practitioner[]>([]);
	appointments = $state<Appointment[]>([]);
	/** True once both docs hold what the device stored: the view renders without waiting for the network. */
	loaded = $state(false);
	readonly clashes = $derived(findClashes(this.appointments));

	readonly #sync: ClinicSync;
	readonly #clinicId: string;
	readonly #directory: Y.Doc;
	#month: { name: string; doc: Y.Doc } | null = null;
	#generation = 0;

	constructor(sync: ClinicSync, clinicId: string, day = today()) {
		this.#sync = sync;
		this.#clinicId = clinicId;
		const directory = sync.open(docNames.directory(clinicId));
		this.#directory = directory.doc;
		this.#directory.on('update', this.#readPractitioners);
		void directory.loaded.then(this.#readPractitioners);
		this.show(day);
	}

	get month(): string {
		return monthOf(this.day);
	}

	show(day: string): void {
		this.day = day;
		const name = docNames.schedule(this.#clinicId, monthOf(day));
		if (this.#month?.name !== name) {
			this.#month?.doc.off('update', this.#readAppointments);
			const open = this.#sync.open(name);
			this.#month = { name, doc: open.doc };
			open.doc.on('update', this.#readAppointments);
			const generation = ++this.#generation;
			this.loaded = false;
			void Promise.all([open.loaded, this.#sync.open(docNames.directory(this.#clinicId)).loaded]).then(() => {
				if (generation === this.#generation) this.loaded = true;
			});
		}
		this.#readAppointments();
	}

	add(input: AppointmentInput): Appointment {
		return addAppointment(this.#doc(), this.month, input);
	}

	change(id: string, change: AppointmentChange): Appointment {
		return changeAppointment(this.#doc(), this.month, id, change);
	}

	remove(id: string): void {
		deleteAppointment(this.#doc(), id);
	}

	destroy(): void {
		this.#directory.off('update', this.#readPractitioners);
		this.#month?.doc.off('update', this.#readAppointments);
	}

	#doc(): Y.Doc {
		if (!this.#month) throw new Error('no month open');
		return this.#month.doc;
	}

	readonly #readPractitioners = () => {
		this.practitioners = listPractitioners(this.#directory).filter((p) => p.active);
	};

	readonly #readAppointments = () => {
		this.appointments = this.#month ? listAppointments(this.#month.doc, this.day) : [];
	};
}
