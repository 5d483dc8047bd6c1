import { now as nowIn } from '@internationalized/date';
import Database from 'better-sqlite3';
import path from 'node:path';
import type * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { addTemplate } from '../../src/lib/domain/cannedReplies.ts';
import { DEFAULT_TIME_ZONE } from '../../src/lib/domain/clinicSettings.ts';
import { addPractitioner } from '../../src/lib/domain/directory.ts';
import { findThreadFor } from '../../src/lib/domain/inbox.ts';
import { createPatient, recordConsent } from '../../src/lib/domain/patients.ts';
import { addReminderRule } from '../../src/lib/domain/reminders.ts';
import { addAppointment, findAppointment, monthOf, scheduleDoc, sentReminders } from '../../src/lib/domain/schedule.ts';
import { readEntries } from '../../src/lib/domain/thread.ts';
import { startClinicServer, type ClinicServer } from '../helpers/clinic.ts';
import { connectProvider, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import {
	FakeMeta,
	META_SECRET,
	PHONE_NUMBER_ID,
	WA_TOKEN,
	metaEnv,
	metaJson,
	postMeta,
	whatsappMessages
} from '../helpers/fakeMeta.ts';
import { admin, ServerProcess } from '../helpers/server.ts';

// The reminder job against the real server and a fake Graph API: a clinic with one 24-hour reminder rule, three
// patients with appointments today or tomorrow — one who agreed to reminders, one who did not, one cancelled.
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const undo of cleanup.splice(0).reverse()) await undo();
});

type Setup = ClinicServer & { fake: FakeMeta; month: string; ayse: { contactId: string; appointmentId: string } };

const AYSE_WA = '905321234567';

/** A start a couple of hours from now, in the clinic's zone, that ends the same day. */
function soon(): string {
	let t = nowIn(DEFAULT_TIME_ZONE).add({ hours: 2 });
	if (t.hour === 23 && t.minute > 40) t = t.add({ minutes: 30 });
	return t.toString().slice(0, 16);
}

function open(s: ClinicServer, docName: string) {
	const provider = connectProvider(s.server.wsUrl, docName, { cookie: s.cookie, origin: s.server.url });
	cleanup.push(async () => provider.destroy());
	return provider;
}

async function edit<T>(s: ClinicServer, docName: string, change: (doc: Y.Doc) => T): Promise<T> {
	const provider = open(s, docName);
	await withTimeout(whenSynced(provider), 5000, `sync ${docName}`);
	return change(provider.doc);
}

async function docWhen(s: ClinicServer, docName: string, predicate: (doc: Y.Doc) => boolean, what: string): Promise<Y.Doc> {
	const provider = open(s, docName);
	await withTimeout(whenDoc(provider.doc, predicate), 15_000, what);
	return provider.doc;
}

async function setup(): Promise<Setup> {
	const fake = await FakeMeta.start();
	cleanup.push(() => fake.close());
	const started = await startClinicServer('admin', metaEnv(fake, { REMINDER_INTERVAL_MS: '200' }));
	// The server the setup ends with: tests restart it (a new process in `setup.server`), and that one is stopped.
	let current: ClinicServer = started;
	cleanup.push(() => current.server.stop('SIGKILL'));
	const wa = await admin(
		started.env,
		['connect-whatsapp', '--clinic', started.clinic, '--phone-number-id', PHONE_NUMBER_ID],
		WA_TOKEN
	);
	expect(wa.code, wa.stderr).toBe(0);
	const start = soon();
	const month = monthOf(start);

	const { practitionerId } = await edit(started, `${started.clinic}/directory`, (d) => {
		const templateId = addTemplate(d, {
			name: 'appointment_reminder',
			language: 'tr',
			bodyParams: 3,
			preview: 'Merhaba {{1}}, {{2}} saat {{3}} randevunuz var. Onay için 1, iptal için 2 yazın.'
		});
		addReminderRule(d, { leadMinutes: 24 * 60, templateId });
		return { practitionerId: addPractitioner(d, { name: 'Dr. Elif Kaya' }).id };
	});
	const people = await edit(started, `${started.clinic}/contacts`, (d) => {
		const ids = {
			ayse: createPatient(d, { name: 'Ayşe Kaya', phones: ['0532 123 45 67'] }),
			can: createPatient(d, { name: 'Can Öztürk', phones: ['+90 533 111 22 33'] }),
			deniz: createPatient(d, { name: 'Deniz Koç', phones: ['+90 544 222 33 44'] })
		};
		for (const id of [ids.ayse, ids.deniz]) {
			recordConsent(d, id, { kind: 'reminders', given: true, at: new Date().toISOString(), how: 'desk', by: started.user.id });
		}
		return ids;
	});
	const appointmentId = await edit(started, `${started.clinic}/schedule/${month}`, (d) => {
		const schedule = scheduleDoc(`${started.clinic}/schedule/${month}`, d);
		const book = (patientId: string, status?: 'cancelled') =>
			addAppointment(schedule, { practitionerId, patientId, start, durationMinutes: 15, ...(status ? { status } : {}) }).id;
		book(people.can);
		book(people.deniz, 'cancelled');
		return book(people.ayse);
	});
	const setup: Setup = { ...started, fake, month, ayse: { contactId: people.ayse, appointmentId } };
	current = setup;
	return setup;
}

async function answer(s: ClinicServer, wamid: string, body: string): Promise<void> {
	const raw = metaJson(whatsappMessages(PHONE_NUMBER_ID, { waId: AYSE_WA }, [{ id: wamid, type: 'text', text: { body } }]));
	expect((await postMeta(s.server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
}

const skipped = (reason: string) => (line: string) => line.includes('reminder skipped') && line.includes(reason);

describe('REMIND-ONCE-1, REMIND-CONSENT-1: reminders go out once, to those who agreed', () => {
	it('sends the template to the patient who consented, records it, skips the others, and never twice across a restart', async () => {
		const s = await setup();
		await s.fake.whenSends(1);
		const [send] = s.fake.sends;
		expect(send.body).toMatchObject({
			to: AYSE_WA,
			type: 'template',
			template: { name: 'appointment_reminder', language: { code: 'tr' } }
		});
		const params = (send.body as { template: { components: { parameters: { text: string }[] }[] } }).template.components[0]
			.parameters;
		expect(params.map((p) => p.text)[0]).toBe('Ayşe Kaya');
		expect(params).toHaveLength(3);
		await s.server.logged(skipped('no_consent'));

		// Recorded on the appointment and in Ayşe's WhatsApp thread, as sent.
		const schedule = `${s.clinic}/schedule/${s.month}`;
		await docWhen(s, schedule, (d) => sentReminders(d, s.ayse.appointmentId).length === 1, 'the reminder on the appointment');
		const inbox = await docWhen(s, `${s.clinic}/inbox`, (d) => findThreadFor(d, s.ayse.contactId, 'whatsapp') !== null, 'thread');
		const threadId = findThreadFor(inbox, s.ayse.contactId, 'whatsapp')!.id;
		await docWhen(
			s,
			`${s.clinic}/thread/${threadId}`,
			(d) => readEntries(d).some((e) => e.messageType === 'template' && e.status === 'sent'),
			'the reminder in the thread, sent'
		);

		// A crash and a restart: the job runs again (it skips Can again only for a new appointment of his) and
		// sends nothing twice.
		await s.server.stop('SIGKILL');
		s.server = await ServerProcess.start(s.env, s.server.port);
		const ready = s.server.logged(skipped('no_consent'));
		await edit(s, schedule, (d) => {
			const first = findAppointment(d, s.ayse.appointmentId)!;
			const can = [...d.getMap('appointments').keys()].find(
				(id) => id !== s.ayse.appointmentId && findAppointment(d, id)?.status === 'booked'
			)!;
			addAppointment(scheduleDoc(schedule, d), {
				practitionerId: first.practitionerId,
				patientId: findAppointment(d, can)!.patientId!,
				start: first.start,
				durationMinutes: 15
			});
		});
		await ready;
		expect(s.fake.sends).toHaveLength(1);
	});
});

describe('REMIND-ONCE-2: a crash between queuing a reminder and recording it', () => {
	it('finishes the claim at the next start without queuing or sending it again', async () => {
		const s = await setup();
		await s.fake.whenSends(1);
		await s.server.logged((line) => line.includes('reminder queued'));
		await s.server.stop('SIGKILL');
		// As if the server had died after queuing the reminder and before recording where.
		const db = new Database(path.join(s.env.DATA_DIR, 'frontdesk.db'));
		const changed = db
			.prepare('UPDATE reminder_claims SET sent_at = NULL, thread_doc = NULL, entry_id = NULL WHERE appointment_id = ?')
			.run(s.ayse.appointmentId);
		db.close();
		expect(changed.changes).toBe(1);

		s.server = await ServerProcess.start(s.env, s.server.port);
		await s.server.logged((line) => line.includes('reminder queued'));
		const inbox = await docWhen(s, `${s.clinic}/inbox`, (d) => findThreadFor(d, s.ayse.contactId, 'whatsapp') !== null, 'thread');
		const thread = await docWhen(
			s,
			`${s.clinic}/thread/${findThreadFor(inbox, s.ayse.contactId, 'whatsapp')!.id}`,
			(d) => readEntries(d).length > 0,
			'thread entries'
		);
		expect(readEntries(thread).filter((e) => e.messageType === 'template')).toHaveLength(1);
		expect(s.fake.sends).toHaveLength(1);
	});
});

describe('REMIND-ANSWER-1: the patient’s answer confirms or cancels', () => {
	it('"Evet" confirms the appointment and tells the staff in the thread; "iptal" then cancels it', async () => {
		const s = await setup();
		await s.fake.whenSends(1);
		const schedule = `${s.clinic}/schedule/${s.month}`;
		await docWhen(s, schedule, (d) => sentReminders(d, s.ayse.appointmentId).length === 1, 'reminder recorded');

		await answer(s, 'wamid.yes', 'Evet');
		const doc = await docWhen(s, schedule, (d) => findAppointment(d, s.ayse.appointmentId)?.status === 'confirmed', 'confirmed');
		const inbox = await docWhen(s, `${s.clinic}/inbox`, (d) => findThreadFor(d, s.ayse.contactId, 'whatsapp') !== null, 'thread');
		const threadDoc = `${s.clinic}/thread/${findThreadFor(inbox, s.ayse.contactId, 'whatsapp')!.id}`;
		await docWhen(
			s,
			threadDoc,
			(d) => readEntries(d).some((e) => e.kind === 'event' && e.details.type === 'appointmentConfirmed'),
			'confirmation in the thread'
		);

		await answer(s, 'wamid.no', 'İptal');
		await withTimeout(
			whenDoc(doc, (d) => findAppointment(d, s.ayse.appointmentId)?.status === 'cancelled'),
			15_000,
			'cancelled'
		);
	});
});
