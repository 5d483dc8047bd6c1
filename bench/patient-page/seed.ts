import { docNames } from '../../src/lib/domain/docName.ts';
import { openThread, recordActivity } from '../../src/lib/domain/inbox.ts';
import { CONSENT_KINDS, CONSENT_WAYS, createPatient, readPatient, recordConsent } from '../../src/lib/domain/patients.ts';
import { openDoc, seedPatients, untilServerHas } from '../common/patients.ts';

const CHANNELS = ['whatsapp', 'instagram', 'phone', 'web'] as const;
const DAY = 86_400_000;

export interface PatientPageClinic {
	patientId: string;
	/** Threads in the inbox doc, the patient's included. */
	threads: number;
}

/**
 * The clinic of the bench: `others` patients with a thread each, and one patient, Şükrü Kalaycıoğlu, with
 * `threads` conversations over three years and `consents` consent changes recorded by `userId` at the desk.
 */
export async function seedPatientPage(
	server: { wsUrl: string; url: string },
	cookie: string,
	clinicId: string,
	opts: { others: number; threads: number; consents: number; userId: string }
): Promise<PatientPageClinic> {
	const others = await seedPatients(server, cookie, clinicId, opts.others);
	const contacts = await openDoc(server, cookie, docNames.contacts(clinicId));
	const now = Date.now();
	const since = now - 3 * 365 * DAY;
	const patientId = createPatient(
		contacts.doc,
		{ name: 'Şükrü Kalaycıoğlu', phones: ['+905329876543'], tags: ['implant', 'VIP'], language: 'tr', source: 'whatsapp' },
		new Date(since - DAY)
	);
	contacts.doc.transact(() => {
		for (let i = 0; i < opts.consents; i++) {
			recordConsent(contacts.doc, patientId, {
				kind: CONSENT_KINDS[i % CONSENT_KINDS.length],
				given: i % 4 !== 3,
				at: new Date(since + ((i + 0.5) * (now - since)) / opts.consents).toISOString(),
				how: CONSENT_WAYS[i % CONSENT_WAYS.length],
				by: i % 5 === 4 ? null : opts.userId
			});
		}
	});
	const inbox = await openDoc(server, cookie, docNames.inbox(clinicId));
	const BATCH = 500;
	for (let from = 0; from < others.length; from += BATCH) {
		inbox.doc.transact(() => {
			others.slice(from, from + BATCH).forEach((contactId, k) => {
				const at = new Date(now - (from + k + 1) * 600_000).toISOString();
				const id = openThread(inbox.doc, { contactId, channel: CHANNELS[(from + k) % CHANNELS.length], at });
				recordActivity(inbox.doc, id, { at, preview: `Merhaba, randevu hakkında bir sorum var (${from + k})`, direction: 'in' });
			});
		});
	}
	inbox.doc.transact(() => {
		for (let i = 0; i < opts.threads; i++) {
			const at = new Date(since + ((i + 0.25) * (now - since)) / opts.threads).toISOString();
			const id = openThread(inbox.doc, { contactId: patientId, channel: CHANNELS[i % CHANNELS.length], at });
			recordActivity(inbox.doc, id, { at, preview: `Kontrol randevusu ve implant hakkında ${i + 1}. görüşme`, direction: 'in' });
		}
	});
	const threads = others.length + opts.threads;
	await Promise.all([
		untilServerHas(
			server,
			cookie,
			docNames.contacts(clinicId),
			(doc) => (readPatient(doc, patientId)?.consents.length ?? 0) >= opts.consents
		),
		untilServerHas(server, cookie, docNames.inbox(clinicId), (doc) => doc.getMap('threads').size >= threads)
	]);
	contacts.destroy();
	inbox.destroy();
	return { patientId, threads };
}
