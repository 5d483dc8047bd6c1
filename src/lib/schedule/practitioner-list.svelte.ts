import { docNames } from '$lib/domain/docName.ts';
import { addPractitioner, listPractitioners, type Practitioner } from '$lib/domain/directory.ts';
import type { ClinicSync, DocHandle } from '$lib/sync/clinic-sync.svelte.ts';

/**
 * The clinic's practitioners (directory doc), kept current as edits arrive from this device, IndexedDB or other
 * devices. Holds the directory doc until `destroy()`.
 */
export class PractitionerList {
	/** Every practitioner, active or not, in the order admins set (the columns' order). */
	all = $state<Practitioner[]>([]);
	readonly active = $derived(this.all.filter((p) => p.active));
	/** True once the directory holds what the device stored. */
	loaded = $state(false);
	readonly #directory: DocHandle;
	#destroyed = false;

	constructor(sync: ClinicSync, clinicId: string) {
		this.#directory = sync.acquire(docNames.directory(clinicId));
		this.#directory.doc.on('update', this.#read);
		this.#read();
		void this.#directory.loaded.then(() => {
			if (this.#destroyed) return;
			this.#read();
			this.loaded = true;
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
		this.#directory.doc.off('update', this.#read);
		this.#directory.release();
	}

	readonly #read = () => {
		this.all = listPractitioners(this.#directory.doc);
	};
}
