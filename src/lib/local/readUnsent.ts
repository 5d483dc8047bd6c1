import * as Y from 'yjs';
import { contactLabel } from '$lib/domain/contacts.ts';
import { STORE_ORIGIN } from '$lib/domain/origin.ts';
import type { FrontdeskDatabase, PendingChange } from './db.ts';
import { describeUnsent, type UnsentDoc } from './describeUnsent.ts';

/**
 * Every doc's changes the server has not confirmed, described from what IndexedDB holds (open or not: a month left
 * behind can still hold an appointment booked offline). Call it after the open docs' writes are on disk.
 */
export async function readUnsent(db: FrontdeskDatabase): Promise<UnsentDoc[]> {
	const pending = await db.pendingChanges.toArray();
	const byDoc = new Map<string, PendingChange[]>();
	for (const change of pending) byDoc.set(change.docName, [...(byDoc.get(change.docName) ?? []), change]);
	const described: UnsentDoc[] = [];
	for (const [docName, changes] of [...byDoc].sort(([a], [b]) => a.localeCompare(b))) {
		const doc = new Y.Doc();
		try {
			const rows = await db.docUpdates.where('docName').equals(docName).toArray();
			if (rows.length > 0) Y.applyUpdate(doc, Y.mergeUpdates(rows.map((r) => r.update)), STORE_ORIGIN);
			const updates = changes.flatMap((c) => (c.update ? [c.update] : []));
			described.push(describeUnsent(docName, doc, updates, changes.length));
		} finally {
			doc.destroy();
		}
	}
	await namePatients(db, described);
	return described;
}

/** Gives each described appointment that names a contact that contact's name, as the device's patient table has it. */
async function namePatients(db: FrontdeskDatabase, docs: UnsentDoc[]): Promise<void> {
	const appointments = docs.flatMap((d) => d.appointments).filter((a) => a.patientId && a.patientName === undefined);
	if (appointments.length === 0) return;
	const rows = await db.patientRows.bulkGet(appointments.map((a) => a.patientId!));
	appointments.forEach((a, i) => {
		const row = rows[i];
		if (row) a.patientName = contactLabel(row.patient);
	});
}

/** The number of unconfirmed changes across docs. */
export const unsentCount = (docs: UnsentDoc[]) => docs.reduce((sum, d) => sum + d.changes, 0);
