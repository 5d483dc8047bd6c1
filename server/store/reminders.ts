/** One reminder of one appointment for one start time: sent at most once (REMIND-ONCE-1). */
export interface ReminderKey {
	clinicId: string;
	appointmentId: string;
	ruleId: string;
	/** The appointment's start it was for (`YYYY-MM-DDTHH:mm`): a moved appointment is reminded again. */
	start: string;
}

export interface ReminderClaim extends ReminderKey {
	contactId: string;
	/** The schedule month (`yyyy-mm`) the appointment was in. */
	month: string;
	claimedAt: number;
	/** Where it was queued, once it was. */
	threadDoc: string | null;
	entryId: string | null;
	sentAt: number | null;
	/** Why it was not sent (no consent, no WhatsApp, …): decided once, not retried. */
	skipped: string | null;
}

export interface ReminderRepository {
	/** True for the one caller that gets the claim; false if it was claimed before (by anyone, ever). */
	claim(claim: Omit<ReminderClaim, 'threadDoc' | 'entryId' | 'sentAt' | 'skipped'>): Promise<boolean>;
	/** Claims neither sent nor skipped: a crash came between claiming and queuing. */
	unfinished(): Promise<ReminderClaim[]>;
	/** Records where the reminder was queued. */
	sent(key: ReminderKey, where: { threadDoc: string; entryId: string }, at: number): Promise<void>;
	skip(key: ReminderKey, reason: string): Promise<void>;
	/** The reminders sent to these contacts since `since`, the latest first (to match a patient's answer). */
	sentTo(clinicId: string, contactIds: readonly string[], since: number): Promise<ReminderClaim[]>;
}
