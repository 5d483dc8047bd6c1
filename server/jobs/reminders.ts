import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ReminderClaim, ReminderKey, Store } from '../store/index.ts';
import { listTemplates, type WhatsAppTemplate } from '../../src/lib/domain/cannedReplies.ts';
import { clinicProfile } from '../../src/lib/domain/clinicSettings.ts';
import { contactLabel, resolveContact } from '../../src/lib/domain/contacts.ts';
import { listPractitioners } from '../../src/lib/domain/directory.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import { findThreadFor, openThread, recordActivity } from '../../src/lib/domain/inbox.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { consentStatus, readPatient } from '../../src/lib/domain/patients.ts';
import { dueReminders, listReminderRules, type DueReminder, type ReminderRule } from '../../src/lib/domain/reminders.ts';
import {
	findAppointment,
	listAppointments,
	monthOf,
	recordReminder,
	scheduleDoc,
	type Appointment
} from '../../src/lib/domain/schedule.ts';
import { queueReply, readEntries } from '../../src/lib/domain/thread.ts';
import type { DocWriter } from '../automation/inboxAutomation.ts';
import { today as todayIn } from '@internationalized/date';

export const REMINDER_AUTHOR = 'reminders';
const ORIGIN: TransactionOrigin = { source: 'job', name: 'reminders' };

export interface ReminderJobDeps {
	docs: DocWriter;
	store: Pick<Store, 'clinics' | 'reminders'>;
	/** Whether the clinic can send on WhatsApp now. */
	canSend: (clinicId: string) => Promise<boolean>;
	logger: Logger;
	/** How often it looks for due reminders (REMINDER_INTERVAL_MS). */
	intervalMs: number;
	now?: () => Date;
}

/**
 * Sends the clinics' appointment reminders (REMIND-*): every `intervalMs` it reads each clinic's rules and the
 * months ahead, claims each due reminder in the store (one claim per appointment, rule and start: at most once,
 * across restarts and processes), and queues the rule's WhatsApp template in the patient's WhatsApp thread, where
 * the dispatcher sends it like any reply. It skips cancelled (and other finished) appointments, patients without
 * reminder consent and patients without WhatsApp, recording why. A claim a crash left between claiming and
 * queuing is finished at the next start, without queuing twice.
 */
export class ReminderJob {
	readonly #d: ReminderJobDeps;
	#timer: NodeJS.Timeout | null = null;
	#running: Promise<void> | null = null;
	#stopped = false;

	constructor(deps: ReminderJobDeps) {
		this.#d = deps;
	}

	start(): void {
		if (this.#timer || this.#stopped) return;
		void this.tick();
		this.#timer = setInterval(() => void this.tick(), this.#d.intervalMs);
		this.#timer.unref();
	}

	/** One look (never two at once): what a crash left, then each clinic's due reminders. */
	tick(): Promise<void> {
		this.#running ??= this.#run().finally(() => (this.#running = null));
		return this.#running;
	}

	stop(): void {
		this.#stopped = true;
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
	}

	async #run(): Promise<void> {
		try {
			for (const claim of await this.#d.store.reminders.unfinished()) await this.#finish(claim);
			for (const clinic of await this.#d.store.clinics.list()) {
				if (this.#stopped) return;
				await this.#clinic(clinic.id).catch((error: unknown) =>
					this.#d.logger.error({ clinicId: clinic.id, err: errorMessage(error) }, 'reminders failed')
				);
			}
		} catch (error) {
			this.#d.logger.error({ err: errorMessage(error) }, 'reminders failed');
		}
	}

	async #clinic(clinicId: string): Promise<void> {
		// A clinic that cannot send on WhatsApp has no reminders to send: its docs are not even read (loading them
		// each minute would keep idle docs from unloading and count against the clinic's quotas).
		if (!(await this.#d.canSend(clinicId))) return;
		const settings = await this.#d.docs.read(docNames.directory(clinicId), (d) => ({
			rules: listReminderRules(d).filter((r) => r.active),
			timeZone: clinicProfile(d).timeZone
		}));
		if (settings.rules.length === 0) return;
		const now = (this.#d.now ?? (() => new Date()))();
		// The months from today to the furthest lead ahead (in the clinic's zone).
		const first = todayIn(settings.timeZone);
		const lead = Math.max(...settings.rules.map((r) => r.leadMinutes));
		const last = first.add({ days: Math.ceil(lead / (24 * 60)) + 1 });
		const months = [...new Set([monthOf(first.toString()), monthOf(last.toString())])];
		for (const month of months) {
			const name = docNames.schedule(clinicId, month);
			const appointments = await this.#d.docs.read(name, (d) => listAppointments(d));
			for (const due of dueReminders(appointments, settings.rules, now, settings.timeZone)) {
				const key = { clinicId, appointmentId: due.appointment.id, ruleId: due.rule.id, start: due.appointment.start };
				const claimed = await this.#d.store.reminders.claim({
					...key,
					contactId: due.appointment.patientId!,
					month,
					claimedAt: now.getTime()
				});
				if (claimed) await this.#send(key, due, month);
			}
		}
	}

	/** A claim without an outcome (a crash came after claiming): sent if still due, else skipped. */
	async #finish(claim: ReminderClaim): Promise<void> {
		const found = await this.#d.docs.read(docNames.schedule(claim.clinicId, claim.month), (d) =>
			findAppointment(d, claim.appointmentId)
		);
		const rules = await this.#d.docs.read(docNames.directory(claim.clinicId), (d) => ({
			rules: listReminderRules(d),
			timeZone: clinicProfile(d).timeZone
		}));
		const rule = rules.rules.find((r) => r.id === claim.ruleId);
		const now = (this.#d.now ?? (() => new Date()))();
		const due = found && rule && found.start === claim.start ? dueReminders([found], [rule], now, rules.timeZone)[0] : undefined;
		if (!due) return this.#d.store.reminders.skip(claim, 'no_longer_due');
		await this.#send(claim, due, claim.month);
	}

	async #send(key: ReminderKey, due: DueReminder, month: string): Promise<void> {
		const { clinicId } = key;
		const reason = await this.#skipReason(clinicId, due);
		if (typeof reason === 'string') {
			await this.#d.store.reminders.skip(key, reason);
			this.#d.logger.info({ clinicId, appointmentId: key.appointmentId, reason }, 'reminder skipped');
			return;
		}
		const { contactId, template, params } = reason;
		const now = (this.#d.now ?? (() => new Date()))();
		let threadId = '';
		await this.#d.docs.write(docNames.inbox(clinicId), ORIGIN, (inbox) => {
			threadId = findThreadFor(inbox, contactId, 'whatsapp')?.id ?? openThread(inbox, { contactId, channel: 'whatsapp' }, now);
			recordActivity(inbox, threadId, { at: now.toISOString(), preview: template.preview, direction: 'out' });
		});
		const threadDoc = docNames.thread(clinicId, threadId);
		const ref = reminderRef(key);
		let entryId = '';
		await this.#d.docs.write(threadDoc, ORIGIN, (thread) => {
			// Queued once: a claim finished after a crash finds what it queued before.
			const queued = readEntries(thread).find((e) => e.details.reminder === ref);
			entryId =
				queued?.id ??
				queueReply(
					thread,
					{
						channel: 'whatsapp',
						text: '',
						authorId: REMINDER_AUTHOR,
						template: { name: template.name, language: template.language, params },
						reminder: ref
					},
					now
				);
		});
		await this.#d.docs.write(docNames.schedule(clinicId, month), ORIGIN, (d) => {
			const schedule = scheduleDoc(docNames.schedule(clinicId, month), d);
			if (findAppointment(d, key.appointmentId)?.start === key.start)
				recordReminder(schedule, key.appointmentId, { ruleId: key.ruleId, at: now.toISOString(), start: key.start });
		});
		await this.#d.store.reminders.sent(key, { threadDoc, entryId }, now.getTime());
		this.#d.logger.info({ clinicId, appointmentId: key.appointmentId, ruleId: key.ruleId }, 'reminder queued');
	}

	/** Why this reminder is not sent, or what it is sent with. */
	async #skipReason(
		clinicId: string,
		due: DueReminder
	): Promise<string | { contactId: string; template: WhatsAppTemplate; params: string[] }> {
		if (!(await this.#d.canSend(clinicId))) return 'whatsapp_not_connected';
		const patient = await this.#d.docs.read(docNames.contacts(clinicId), (d) => {
			const contact = resolveContact(d, due.appointment.patientId!);
			return contact ? readPatient(d, contact.id) : null;
		});
		if (!patient) return 'no_patient';
		if (consentStatus(patient).reminders?.given !== true) return 'no_consent';
		if (!patient.phones[0] && !patient.identities.some((i) => i.channel === 'whatsapp')) return 'no_whatsapp';
		const directory = await this.#d.docs.read(docNames.directory(clinicId), (d) => ({
			template: listTemplates(d).find((t) => t.id === due.rule.templateId) ?? null,
			practitioner: listPractitioners(d).find((p) => p.id === due.appointment.practitionerId)?.name ?? '',
			profile: clinicProfile(d)
		}));
		if (!directory.template) return 'no_template';
		const params = reminderParams(due.appointment, {
			patient: contactLabel(patient),
			practitioner: directory.practitioner,
			clinic: directory.profile.name,
			language: directory.profile.language
		}).slice(0, directory.template.bodyParams);
		return { contactId: patient.id, template: directory.template, params };
	}
}

/** What ties a queued reply to its reminder (kept in the entry's details). */
export const reminderRef = (key: ReminderKey) => `${key.appointmentId}:${key.ruleId}:${key.start}`;

/**
 * A reminder template's body parameters, in this order: {{1}} the patient's name, {{2}} the day (in the clinic's
 * language), {{3}} the time, {{4}} the practitioner, {{5}} the clinic. A template uses as many as it declares.
 */
export function reminderParams(
	a: Appointment,
	names: { patient: string; practitioner: string; clinic: string; language: string }
): string[] {
	const [y, m, d] = a.start.slice(0, 10).split('-').map(Number);
	const day = new Intl.DateTimeFormat(names.language, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(
		new Date(Date.UTC(y, m - 1, d))
	);
	return [names.patient, day, a.start.slice(11, 16), names.practitioner, names.clinic];
}

export type { ReminderRule };
