import * as Y from 'yjs';
import { z } from 'zod';
import { docId, readEntry } from './fields.ts';
import { newId } from './ids.ts';
import { appointmentInterval, type Appointment } from './schedule.ts';
import { foldText } from './textSearch.ts';

/**
 * The clinic's appointment reminders (REMIND-*), kept in the `<clinic>/directory` doc: each rule says how long
 * before an appointment a reminder goes out, through which of the clinic's approved WhatsApp templates
 * (`cannedReplies.ts`). A Y.Map per rule under its id in the map `reminders`, so two admins' edits merge.
 * The server's job (`server/jobs/reminders.ts`) sends them; the patient's answer confirms or cancels.
 */
export interface ReminderRule {
	id: string;
	/** How long before the start it goes out. */
	leadMinutes: number;
	/** The WhatsApp template (its id in the directory) it is sent with. */
	templateId: string;
	active: boolean;
}

export const MAX_REMINDER_RULES = 5;
/** From 15 minutes to a week before. */
const leadMinutes = z
	.number('reminders.lead')
	.int('reminders.lead')
	.min(15, 'reminders.lead')
	.max(7 * 24 * 60, 'reminders.lead');

export const reminderRuleInput = z.object({ leadMinutes, templateId: docId, active: z.boolean().default(true) });
export type ReminderRuleInput = z.input<typeof reminderRuleInput>;

export class ReminderRuleError extends Error {
	override name = 'ReminderRuleError';
}

const rules = (doc: Y.Doc) => doc.getMap<unknown>('reminders');

export function addReminderRule(doc: Y.Doc, input: ReminderRuleInput): ReminderRule {
	const parsed = reminderRuleInput.parse(input);
	if (listReminderRules(doc).length >= MAX_REMINDER_RULES) throw new ReminderRuleError('too many reminders');
	const rule = { id: newId(), ...parsed };
	doc.transact(() => {
		const map = new Y.Map<unknown>();
		for (const [k, v] of Object.entries(parsed)) map.set(k, v);
		rules(doc).set(rule.id, map);
	});
	return rule;
}

export function changeReminderRule(doc: Y.Doc, id: string, change: Partial<ReminderRuleInput>): void {
	const parsed = reminderRuleInput.partial().parse(change);
	const map = rules(doc).get(id);
	if (!(map instanceof Y.Map)) throw new ReminderRuleError('no such reminder');
	doc.transact(() => {
		for (const [k, v] of Object.entries(parsed)) if (v !== undefined) map.set(k, v);
	});
}

export function removeReminderRule(doc: Y.Doc, id: string): void {
	if (!rules(doc).has(id)) throw new ReminderRuleError('no such reminder');
	rules(doc).delete(id);
}

/** DOC-READ-1: a rule with a bad lead or template is skipped; a bad flag reads as active. */
const storedRule = z.object({ leadMinutes, templateId: docId, active: z.boolean().catch(true) });

/** The rules, the earliest-sent first. */
export function listReminderRules(doc: Y.Doc): ReminderRule[] {
	const list: ReminderRule[] = [];
	for (const [id, entry] of rules(doc)) {
		const rule = readEntry(entry, storedRule);
		if (rule && docId.safeParse(id).success) list.push({ id, ...rule });
	}
	return list.sort((a, b) => b.leadMinutes - a.leadMinutes || a.id.localeCompare(b.id));
}

/** Statuses that still want a reminder: the patient has not come, cancelled or missed it yet. */
const REMINDED_STATUSES = new Set<Appointment['status']>(['booked', 'confirmed']);

export interface DueReminder {
	appointment: Appointment;
	rule: ReminderRule;
	/** When it was due to go out. */
	dueAt: Date;
	startsAt: Date;
}

/**
 * The reminders due at `now`: for each active rule and each appointment still booked or confirmed, one whose time
 * (start − lead, in the clinic's zone) has come while the appointment has not begun. A reminder due while the
 * server was down still goes out, as long as it is before the appointment. Whether it went out already is the
 * caller's to know (a claim per appointment, rule and start).
 */
export function dueReminders(appointments: Appointment[], ruleList: ReminderRule[], now: Date, timeZone: string): DueReminder[] {
	const due: DueReminder[] = [];
	for (const appointment of appointments) {
		if (!REMINDED_STATUSES.has(appointment.status) || !appointment.patientId) continue;
		const { start } = appointmentInterval(appointment, timeZone);
		if (start.getTime() <= now.getTime()) continue;
		for (const rule of ruleList) {
			if (!rule.active) continue;
			const dueAt = new Date(start.getTime() - rule.leadMinutes * 60_000);
			if (dueAt.getTime() <= now.getTime()) due.push({ appointment, rule, dueAt, startsAt: start });
		}
	}
	return due;
}

export type ReminderAnswer = 'confirm' | 'cancel';

const CONFIRM = new Set(['1', 'evet', 'onay', 'onayliyorum', 'onayla', 'tamam', 'geliyorum', 'confirm', 'yes', 'ok']);
const CANCEL = new Set(['2', 'hayir', 'iptal', 'iptal et', 'gelemiyorum', 'cancel', 'no']);

/**
 * What a patient's answer to a reminder says, or null for anything else (which staff read in the thread): a
 * template button's text or payload, or a short text — "1"/"2", "evet"/"hayır", "onaylıyorum"/"iptal",
 * "confirm"/"cancel" — in any case, with or without Turkish letters and punctuation around it.
 */
export function reminderAnswer(text: string): ReminderAnswer | null {
	const folded = foldText(text)
		.replace(/[^\p{L}\p{N} ]+/gu, ' ')
		.replace(/\s+/g, ' ')
		.trim();
	if (folded.length === 0 || folded.length > 40) return null;
	if (CONFIRM.has(folded)) return 'confirm';
	if (CANCEL.has(folded)) return 'cancel';
	return null;
}
