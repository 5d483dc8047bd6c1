import { liveQuery, type Subscription } from 'dexie';
import { contactLabel } from '$lib/domain/contacts.ts';
import type { FrontdeskDatabase } from '$lib/local/index.ts';

/**
 * The names of the patients a screen shows, read from the device's patient table by id and kept live (a patient
 * renamed on another device shows renamed). Appointments keep only the patient's id, so a name lives in one place
 * (and an erased patient leaves no name behind in the book).
 */
export class PatientNames {
	/** Replaced whole on each read: held raw. */
	names = $state.raw<Record<string, string>>({});
	readonly #db: FrontdeskDatabase;
	readonly #fallback: (id: string) => string | undefined;
	#ids = '';
	#subscription: Subscription | null = null;

	/** `fallback` names an id the table has no row for: a record merged into another is not listed there. */
	constructor(db: FrontdeskDatabase, fallback: (id: string) => string | undefined = () => undefined) {
		this.#db = db;
		this.#fallback = fallback;
	}

	/**
	 * Reads these ids' names once, now: a screen that awaits it is drawn with the names rather than with a placeholder
	 * replaced a moment later (a second render, and on a busy tablet a frame or more of "…"). `watch` keeps them live.
	 */
	async preload(ids: Iterable<string>): Promise<void> {
		const list = [...ids].filter((id, i, all) => all.indexOf(id) === i);
		if (list.length === 0) return;
		const rows = await this.#db.patientRows.bulkGet(list).catch(() => null);
		if (!rows) return;
		const found: Record<string, string> = {};
		list.forEach((id, i) => {
			const row = rows[i];
			const name = row ? contactLabel(row.patient) : this.#fallback(id);
			if (name !== undefined) found[id] = name;
		});
		this.names = { ...this.names, ...found };
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
				this.names = Object.fromEntries(
					list.flatMap((id, i) => {
						const row = rows[i];
						const name = row ? contactLabel(row.patient) : this.#fallback(id);
						return name === undefined ? [] : [[id, name]];
					})
				);
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
