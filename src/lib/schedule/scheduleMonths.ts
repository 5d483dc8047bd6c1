import { docNames } from '$lib/domain/docName.ts';
import { findAppointment, scheduleDoc, type Appointment, type ScheduleDoc } from '$lib/domain/schedule.ts';
import { reconcileMoves } from '$lib/domain/scheduleMoves.ts';
import type { ClinicSync, DocHandle } from '$lib/sync/clinic-sync.svelte.ts';

interface OpenMonth {
	handle: DocHandle;
	schedule: ScheduleDoc;
	onUpdate: () => void;
}

/** Moves reach at most this many months the screen does not show before a repair pass stops. */
const MAX_EXTRA_MONTHS = 6;

/**
 * The schedule docs a screen holds (one per month shown), and the months a write needs held only while it runs.
 * Also repairs what moves between months left behind in the months shown (SCHEDULE-MOVE-2..4): after each
 * change, with the other months a move reaches opened for as long as the repair takes.
 */
export class ScheduleMonths {
	readonly #sync: ClinicSync;
	readonly #clinicId: string;
	readonly #changed: () => void;
	readonly #open = new Map<string, OpenMonth>();
	#repairing = false;
	#destroyed = false;

	/** `changed` is called after any change to a month shown, from anywhere. */
	constructor(sync: ClinicSync, clinicId: string, changed: () => void) {
		this.#sync = sync;
		this.#clinicId = clinicId;
		this.#changed = changed;
	}

	/** Holds exactly these months; resolves once they hold what the device stored. */
	show(months: Iterable<string>): Promise<void> {
		const wanted = new Set(months);
		for (const month of [...this.#open.keys()]) if (!wanted.has(month)) this.#leave(month);
		for (const month of wanted) this.#hold(month);
		return Promise.all([...this.#open.values()].map((m) => m.handle.loaded)).then(() => undefined);
	}

	/** The months shown, each with its doc. */
	get shown(): ReadonlyMap<string, ScheduleDoc> {
		return new Map([...this.#open].map(([month, open]) => [month, open.schedule]));
	}

	/**
	 * The months shown of which this device holds nothing and the server has not answered yet: their days are not
	 * known to be empty (offline, a month never opened on this device). Reactive through the docs' connection states;
	 * a caller reading it after each change (`changed`) also sees content arriving.
	 */
	unheard(): string[] {
		return [...this.#open]
			.filter(
				([month, open]) =>
					open.handle.doc.store.clients.size === 0 && this.#sync.docState(docNames.schedule(this.#clinicId, month)) !== 'synced'
			)
			.map(([month]) => month);
	}

	/** The appointment and the month it is in, among the months shown. */
	find(id: string): { month: ScheduleDoc; appointment: Appointment } | null {
		for (const { schedule } of this.#open.values()) {
			const appointment = findAppointment(schedule, id);
			if (appointment) return { month: schedule, appointment };
		}
		return null;
	}

	/**
	 * Runs `write` once the docs of `months` hold what the device stored: a month written before its stored state
	 * is in could get a second entry for an appointment it already holds. Months not shown are held meanwhile.
	 */
	async write<T>(months: Iterable<string>, write: (month: (m: string) => ScheduleDoc) => T): Promise<T> {
		const held: DocHandle[] = [];
		const docs = new Map<string, ScheduleDoc>();
		for (const month of new Set(months)) {
			const shown = this.#open.get(month);
			if (shown) {
				docs.set(month, shown.schedule);
				continue;
			}
			const name = docNames.schedule(this.#clinicId, month);
			const handle = this.#sync.acquire(name);
			held.push(handle);
			docs.set(month, scheduleDoc(name, handle.doc));
		}
		try {
			await Promise.all([...this.#open.values()].map((m) => m.handle.loaded).concat(held.map((h) => h.loaded)));
			return write((m) => {
				const doc = docs.get(m);
				if (!doc) throw new Error(`month ${m} is not open`);
				return doc;
			});
		} finally {
			for (const handle of held) handle.release();
		}
	}

	/**
	 * Repairs what moves left behind in the months shown, opening the other months a move reaches. A month counts
	 * as caught up (an appointment it lacks is truly not there) only once synced with the server.
	 */
	async repair(): Promise<void> {
		if (this.#repairing || this.#destroyed) return;
		this.#repairing = true;
		const extra = new Map<string, DocHandle>();
		try {
			for (;;) {
				const docs = new Map(this.shown);
				for (const [m, handle] of extra) docs.set(m, scheduleDoc(handle.name, handle.doc));
				const settled = (m: string) => this.#sync.docState(docNames.schedule(this.#clinicId, m)) === 'synced';
				const { needs } = reconcileMoves(docs, settled);
				const opening = [...needs].filter((m) => !extra.has(m)).slice(0, MAX_EXTRA_MONTHS - extra.size);
				if (opening.length === 0 || this.#destroyed) break;
				for (const m of opening) extra.set(m, this.#sync.acquire(docNames.schedule(this.#clinicId, m)));
				await Promise.all(opening.map((m) => extra.get(m)!.loaded));
			}
		} finally {
			for (const handle of extra.values()) handle.release();
			this.#repairing = false;
		}
	}

	destroy(): void {
		this.#destroyed = true;
		for (const month of [...this.#open.keys()]) this.#leave(month);
	}

	#hold(month: string): void {
		if (this.#open.has(month)) return;
		const name = docNames.schedule(this.#clinicId, month);
		const handle = this.#sync.acquire(name);
		// While IndexedDB's rows are applied one by one, each would be a change: the screen reads the month once
		// it is loaded, then after each change.
		let loaded = false;
		const onUpdate = () => {
			if (loaded && this.#open.get(month) === open) this.#changed();
		};
		const open: OpenMonth = { handle, schedule: scheduleDoc(name, handle.doc), onUpdate };
		this.#open.set(month, open);
		handle.doc.on('update', onUpdate);
		void handle.loaded.then(() => {
			loaded = true;
			if (this.#open.get(month) === open) this.#changed();
		});
	}

	#leave(month: string): void {
		const open = this.#open.get(month);
		if (!open) return;
		open.handle.doc.off('update', open.onUpdate);
		open.handle.release();
		this.#open.delete(month);
	}
}
