import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { DocWriter, InboundNotice } from '../automation/inboxAutomation.ts';
import { clinicProfile } from '../../src/lib/domain/clinicSettings.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { reminderAnswer, type ReminderAnswer } from '../../src/lib/domain/reminders.ts';
import { appointmentInterval, changeAppointment, findAppointment, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { appendEvent, readEntries } from '../../src/lib/domain/thread.ts';

const ORIGIN: TransactionOrigin = { source: 'job', name: 'reminder-answer' };
/** A reminder is answered within this long of going out; later words are just words. */
export const ANSWER_WINDOW_MS = 3 * 24 * 60 * 60_000;

/**
 * Reads a patient's WhatsApp message after a reminder (REMIND-ANSWER-1): a template button or a short answer —
 * "1"/"2", "evet"/"hayır", "onaylıyorum"/"iptal", "confirm"/"cancel" — confirms or cancels the appointment the
 * latest reminder to them was about (if it has not begun), and says so in the thread for the staff. Anything else
 * is left to the staff. Only booked or confirmed appointments change; a cancelled one is not confirmed again.
 */
export class ReminderAnswers {
	readonly #docs: DocWriter;
	readonly #store: Pick<Store, 'reminders'>;
	readonly #logger: Logger;
	readonly #now: () => Date;

	constructor(deps: { docs: DocWriter; store: Pick<Store, 'reminders'>; logger: Logger; now?: () => Date }) {
		this.#docs = deps.docs;
		this.#store = deps.store;
		this.#logger = deps.logger;
		this.#now = deps.now ?? (() => new Date());
	}

	async onInbound(notice: InboundNotice): Promise<void> {
		if (notice.channel !== 'whatsapp') return;
		const { clinicId, threadId, contactId } = notice;
		const now = this.#now();
		const sent = await this.#store.reminders.sentTo(clinicId, [contactId], now.getTime() - ANSWER_WINDOW_MS);
		if (sent.length === 0) return;
		const threadDoc = docNames.thread(clinicId, threadId);
		const answer = await this.#docs.read(threadDoc, (d) => {
			const last = readEntries(d)
				.filter((e) => e.direction === 'in' && e.kind === 'message')
				.at(-1);
			if (!last) return null;
			const payload = (last.details.button as { payload?: unknown } | undefined)?.payload;
			return reminderAnswer(typeof payload === 'string' && reminderAnswer(payload) ? payload : last.text);
		});
		if (!answer) return;
		const timeZone = await this.#docs.read(docNames.directory(clinicId), (d) => clinicProfile(d).timeZone);
		for (const claim of sent) {
			const name = docNames.schedule(clinicId, claim.month);
			let changed: ReminderAnswer | null = null;
			await this.#docs.write(name, ORIGIN, (d) => {
				const a = findAppointment(d, claim.appointmentId);
				if (!a || a.start !== claim.start || appointmentInterval(a, timeZone).start <= now) return;
				if (a.status !== 'booked' && a.status !== 'confirmed') return;
				const status = answer === 'confirm' ? 'confirmed' : 'cancelled';
				if (a.status !== status) changeAppointment(scheduleDoc(name, d), a.id, { status });
				changed = answer;
			});
			if (!changed) continue;
			await this.#docs.write(threadDoc, ORIGIN, (d) =>
				appendEvent(d, {
					at: now.toISOString(),
					text: '',
					details: {
						type: answer === 'confirm' ? 'appointmentConfirmed' : 'appointmentCancelled',
						appointmentId: claim.appointmentId,
						start: claim.start
					}
				})
			);
			this.#logger.info({ clinicId, appointmentId: claim.appointmentId, answer }, 'reminder answered');
			return;
		}
	}
}
