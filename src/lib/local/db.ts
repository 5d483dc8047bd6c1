import Dexie, { type Table } from 'dexie';
import { INBOX_TABLES, INBOX_TABLES_V3, recencyOf, type IndexMark, type ThreadRow } from './inboxTables.ts';
import {
	PATIENT_TABLES,
	PATIENT_TABLES_V4,
	PATIENT_TABLES_V5,
	type PatientRow,
	type PatientSearchEntry
} from './patientTables.ts';
import { SCHEDULE_TABLES, type AppointmentRow } from './scheduleTables.ts';
import type { DeletedRange } from './serverDeletions.ts';

/** One stored Yjs update of a synced doc. Compaction replaces a doc's rows by one merged update. */
export interface StoredUpdate {
	id?: number;
	docName: string;
	update: Uint8Array;
	/**
	 * Set on the second and later pieces of one write split into several rows (`DocPersistence`), so compaction
	 * counts writes. Not indexed: no new schema version.
	 */
	part?: number;
}

/**
 * A local change not yet confirmed by the server: confirmed once the server's state vector reaches
 * `clock` for `client`. Kept on disk so the count survives a reload made offline.
 */
export interface PendingChange {
	id?: number;
	docName: string;
	client: number;
	clock: number;
	/**
	 * The change itself, kept until confirmed so the device can say what would be lost (`unsent.ts`). Not indexed, so
	 * no new schema version; rows written before it existed have none and are only counted.
	 */
	update?: Uint8Array;
	/**
	 * For an edit that only deleted (its clock did not move, so a state vector cannot confirm it): what it deleted,
	 * confirmed once a delete set from the server covers it.
	 */
	deletes?: DeletedRange[];
}

export const DATABASE_NAME = 'frontdesk';

/**
 * The device's one IndexedDB database. Versioning: each schema change is a new `this.version(n)` below, never an
 * edit of an old one. Version 1 holds the Yjs persistence; later versions add the query tables (threads,
 * contacts) and the outbox next to these.
 */
export class FrontdeskDatabase extends Dexie {
	docUpdates!: Table<StoredUpdate, number>;
	pendingChanges!: Table<PendingChange, number>;
	threadRows!: Table<ThreadRow, string>;
	indexMarks!: Table<IndexMark, string>;
	patientRows!: Table<PatientRow, string>;
	patientSearch!: Table<PatientSearchEntry, string>;
	appointmentRows!: Table<AppointmentRow, [string, string]>;

	constructor(name = DATABASE_NAME) {
		super(name);
		this.version(1).stores({
			docUpdates: '++id, docName',
			pendingChanges: '++id, docName'
		});
		// Version 2: the query tables, each area's defined beside its indexer (the inbox's here, the patients' in
		// patientTables.ts). Rebuilt from the docs, so an upgrade needs no data migration.
		this.version(2).stores({
			...INBOX_TABLES,
			...PATIENT_TABLES
		});
		// Version 3: threads ordered newest first by an index of their own (the list's first screen in one read).
		this.version(3)
			.stores({ ...INBOX_TABLES_V3, ...PATIENT_TABLES })
			.upgrade((tx) =>
				tx
					.table<ThreadRow, string>('threadRows')
					.toCollection()
					.modify((row) => {
						row.recency = recencyOf(row.lastMessageAt);
					})
			);
		// Version 4: the patients' table. Built from the contacts doc at the next start, so no data migration.
		this.version(4).stores({ ...INBOX_TABLES_V3, ...PATIENT_TABLES_V4 });
		// Version 5: the patients' search entries, keyed in name order (a search stays bounded at 20,000 patients).
		// Built at the next start (the table's mark changed name), so no data migration.
		this.version(5).stores({ ...INBOX_TABLES_V3, ...PATIENT_TABLES_V5 });
		// Version 6: the appointments' table, built from each month doc the next time it is open: no data migration.
		this.version(6).stores({ ...INBOX_TABLES_V3, ...PATIENT_TABLES_V5, ...SCHEDULE_TABLES });
	}
}
