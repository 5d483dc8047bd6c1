import { docNames } from '$lib/domain/docName.ts';
import type { WeeklyHours } from '$lib/domain/businessHours.ts';
import { clinicProfile, listClosedDays, type ClosedDay } from '$lib/domain/clinicSettings.ts';
import { addPractitioner, listPractitioners, practitionerHours, type Practitioner } from '$lib/domain/directory.ts';
import type * as Y from 'yjs';
import type { ClinicSync, DocHandle } from '$lib/sync/clinic-sync.svelte.ts';
import { watchDoc } from '$lib/sync/watchDoc.ts';
import { listRooms, type Room } from '$lib/domain/rooms.ts';
import { listServices, type Service } from '$lib/domain/services.ts';

/**
 * The clinic's practitioners (directory doc) with their working hours, its rooms and services, and its closed
 * days, kept current as edits arrive from this device, IndexedDB or other devices. Holds the directory doc until `destroy()`.
 */
export class PractitionerList {
	// Each list is replaced whole when the directory changes (`#read`), never edited in place: held raw.
	/** Every practitioner, active or not, in the order admins set (the columns' order). */
	all = $state.raw<Practitioner[]>([]);
	readonly active = $derived(this.all.filter((p) => p.active));
	/** Each practitioner's working week (their own hours where set, the clinic's otherwise), by id. */
	hours = $state.raw<Record<string, WeeklyHours>>({});
	closedDays = $state.raw<ClosedDay[]>([]);
	/** Rooms and services, active or not, in the order admins set. */
	rooms = $state.raw<Room[]>([]);
	services = $state.raw<Service[]>([]);
	/** The clinic's time zone (IANA), by which "today" is the clinic's today. */
	timeZone = $state<string | null>(null);
	/** True once the directory holds what the device stored. */
	loaded = $state(false);
	readonly #directory: DocHandle;
	#destroyed = false;

	constructor(sync: ClinicSync, clinicId: string) {
		this.#directory = watchDoc(sync, docNames.directory(clinicId), this.#read);
		void this.#directory.loaded.then(() => {
			if (!this.#destroyed) this.loaded = true;
		});
	}

	get whenLoaded(): Promise<void> {
		return this.#directory.loaded;
	}

	/** Adds an active practitioner with the default colour (admins only: the directory is read-only to others). */
	add(name: string): Practitioner {
		return addPractitioner(this.#directory.doc, { name });
	}

	destroy(): void {
		if (this.#destroyed) return;
		this.#destroyed = true;
		this.#directory.release();
	}

	readonly #read = (doc: Y.Doc) => {
		this.all = listPractitioners(doc);
		this.hours = Object.fromEntries(this.all.map((p) => [p.id, practitionerHours(doc, p.id).effective]));
		this.closedDays = listClosedDays(doc);
		this.rooms = listRooms(doc);
		this.services = listServices(doc);
		this.timeZone = clinicProfile(doc).timeZone;
	};
}
