import { liveQuery, type Subscription } from 'dexie';
import { contactLabel } from '$lib/domain/contacts.ts';
import type { FrontdeskDatabase } from '$lib/local/index.ts';

/**
 * The names of the patients a screen shows, read from the device's patient table by id and kept live (a patient
 * renamed on another device shows renamed). Appointments keep only the patient's id, so a name lives in one place
 * (and an erased patient leaves no name behind in the book).
 */
export class PatientNames {
	names = $state<Record<string, string>>({});
	readonly #db: FrontdeskDatabase;
	#ids = '';
	#subscription: Subscription | null = null;

	constructor(db: FrontdeskDatabase) {
		this.#db = db;
	}

	/** Watches these ids (the previous ones are dropped). */
	watch(ids: Iterable<string>): void {
		const list = [...ids].sort().filter((id, i, sorted) => i === 0 || sorted[i - 1] !== id);
		const key = list.join(',');
		if (key === this.#ids) return;
		this.#ids = key;
		this.#subscription?.unsubscribe();
		this.#subscription = liveQuery(() => this.#db.patientRows.bulkGet(list)).subscribe({
			next: (rows) => {
				this.names = Object.fromEntries(rows.flatMap((row) => (row ? [[row.id, contactLabel(row.patient)]] : [])));
			},
			error: () => {
				this.names = {};
			}
		});
	}

	destroy(): void {
		this.#subscription?.unsubscribe();
		this.#subscription = null;
	}
}
