import type * as Y from 'yjs';
import { DEFAULT_BUSINESS_HOURS, type WeeklyHours } from '$lib/domain/businessHours.ts';
import { businessHours, clinicProfile, listClosedDays, type ClinicProfile, type ClosedDay } from '$lib/domain/clinicSettings.ts';
import { docNames } from '$lib/domain/docName.ts';
import { listPractitioners, practitionerHours, type Practitioner, type PractitionerHours } from '$lib/domain/directory.ts';
import { listRooms, type Room } from '$lib/domain/rooms.ts';
import { listServices, type Service } from '$lib/domain/services.ts';
import type { ClinicSync, DocHandle } from '$lib/sync/clinic-sync.svelte.ts';
import { watchDoc } from '$lib/sync/watchDoc.ts';
import { problemOf, type Problem } from './problems.ts';

/**
 * The directory doc as the settings screens edit it: the clinic's profile, hours and closed days, and the ordered
 * practitioners, rooms and services, re-read whenever the doc changes (here, from IndexedDB or another admin).
 * Writes go through `write()`, which turns a refused input into a problem to show and leaves the doc unchanged.
 * Holds the directory doc until `destroy()`.
 */
export class ClinicDirectory {
	profile = $state<ClinicProfile>({ name: '', timeZone: 'Europe/Istanbul', language: 'tr' });
	hours = $state<WeeklyHours>(DEFAULT_BUSINESS_HOURS);
	closedDays = $state<ClosedDay[]>([]);
	practitioners = $state<Practitioner[]>([]);
	/** Each practitioner's own and effective working hours, by id. */
	practitionerHours = $state<Record<string, PractitionerHours>>({});
	rooms = $state<Room[]>([]);
	services = $state<Service[]>([]);
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

	/** Runs one domain write on the directory; returns what was wrong with the input, or null once written. */
	write(change: (doc: Y.Doc) => unknown): Problem | null {
		try {
			change(this.#directory.doc);
			return null;
		} catch (error) {
			const problem = problemOf(error);
			if (problem === null) throw error;
			return problem;
		}
	}

	destroy(): void {
		if (this.#destroyed) return;
		this.#destroyed = true;
		this.#directory.release();
	}

	readonly #read = (doc: Y.Doc) => {
		this.profile = clinicProfile(doc);
		this.hours = businessHours(doc);
		this.closedDays = listClosedDays(doc);
		this.practitioners = listPractitioners(doc);
		this.practitionerHours = Object.fromEntries(this.practitioners.map((p) => [p.id, practitionerHours(doc, p.id)]));
		this.rooms = listRooms(doc);
		this.services = listServices(doc);
	};
}
