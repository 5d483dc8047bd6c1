/**
 * What each patient was called in the events last compared with Google, and the months they have appointments in,
 * for one clinic (SCHEDULE-GOOGLE-13). The book's month docs do not change when a patient is renamed, merged into
 * another or erased, so nothing else would bring the initials (or the name) in their events up to date: when the
 * contacts doc changes, the months of the patients whose label differs now are compared again.
 *
 * Held in memory: after a restart the sync compares every month anyway (`CalendarSync.start`).
 */
export class PatientLabels {
	/** Per month, the patients of its appointments (by id, as the appointments name them). */
	readonly #patientsOf = new Map<string, Set<string>>();
	/** Per patient, the label the last comparison used ('' when none: not found, or the clinic shares no names). */
	readonly #labels = new Map<string, string>();

	/** A month was compared with these labels of its patients. */
	compared(month: string, labels: ReadonlyMap<string, string>): void {
		this.#patientsOf.set(month, new Set(labels.keys()));
		for (const [id, label] of labels) this.#labels.set(id, label);
	}

	/** The patients whose label matters: those of months compared. */
	patients(): string[] {
		const ids = new Set<string>();
		for (const set of this.#patientsOf.values()) for (const id of set) ids.add(id);
		return [...ids];
	}

	/** The months to compare again, given the labels the patients have now (a patient missing there has none). */
	monthsToCompare(now: ReadonlyMap<string, string>): string[] {
		const renamed = new Set<string>();
		for (const [id, label] of this.#labels) if ((now.get(id) ?? '') !== label) renamed.add(id);
		if (renamed.size === 0) return [];
		return [...this.#patientsOf].filter(([, ids]) => [...ids].some((id) => renamed.has(id))).map(([month]) => month);
	}
}
