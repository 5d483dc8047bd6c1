import type Database from 'better-sqlite3';
import type { ReminderClaim, ReminderKey, ReminderRepository } from '../reminders.ts';

interface ClaimTableRow {
	clinic_id: string;
	appointment_id: string;
	rule_id: string;
	start: string;
	contact_id: string;
	month: string;
	claimed_at: number;
	thread_doc: string | null;
	entry_id: string | null;
	sent_at: number | null;
	skipped: string | null;
}

const claimOf = (r: ClaimTableRow): ReminderClaim => ({
	clinicId: r.clinic_id,
	appointmentId: r.appointment_id,
	ruleId: r.rule_id,
	start: r.start,
	contactId: r.contact_id,
	month: r.month,
	claimedAt: r.claimed_at,
	threadDoc: r.thread_doc,
	entryId: r.entry_id,
	sentAt: r.sent_at,
	skipped: r.skipped
});

const KEY = 'clinic_id = ? AND appointment_id = ? AND rule_id = ? AND start = ?';
const keyOf = (k: ReminderKey) => [k.clinicId, k.appointmentId, k.ruleId, k.start] as const;

export class SqliteReminders implements ReminderRepository {
	readonly #claim;
	readonly #unfinished;
	readonly #sent;
	readonly #skip;
	readonly #db: Database.Database;

	constructor(db: Database.Database) {
		this.#db = db;
		this.#claim = db.prepare<[string, string, string, string, string, string, number]>(
			`INSERT INTO reminder_claims (clinic_id, appointment_id, rule_id, start, contact_id, month, claimed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
		);
		this.#unfinished = db.prepare<[], ClaimTableRow>(
			'SELECT * FROM reminder_claims WHERE sent_at IS NULL AND skipped IS NULL ORDER BY claimed_at'
		);
		this.#sent = db.prepare<[string, string, number, string, string, string, string]>(
			`UPDATE reminder_claims SET thread_doc = ?, entry_id = ?, sent_at = ? WHERE ${KEY}`
		);
		this.#skip = db.prepare<[string, string, string, string, string]>(`UPDATE reminder_claims SET skipped = ? WHERE ${KEY}`);
	}

	async claim(c: Omit<ReminderClaim, 'threadDoc' | 'entryId' | 'sentAt' | 'skipped'>) {
		return this.#claim.run(c.clinicId, c.appointmentId, c.ruleId, c.start, c.contactId, c.month, c.claimedAt).changes > 0;
	}

	async unfinished() {
		return this.#unfinished.all().map(claimOf);
	}

	async sent(key: ReminderKey, where: { threadDoc: string; entryId: string }, at: number) {
		this.#sent.run(where.threadDoc, where.entryId, at, ...keyOf(key));
	}

	async skip(key: ReminderKey, reason: string) {
		this.#skip.run(reason, ...keyOf(key));
	}

	async sentTo(clinicId: string, contactIds: readonly string[], since: number) {
		if (contactIds.length === 0) return [];
		const ids = contactIds.slice(0, 50);
		const rows = this.#db
			.prepare<unknown[], ClaimTableRow>(
				`SELECT * FROM reminder_claims WHERE clinic_id = ? AND contact_id IN (${ids.map(() => '?').join(', ')})
				AND sent_at >= ? ORDER BY sent_at DESC LIMIT 20`
			)
			.all(clinicId, ...ids, since);
		return rows.map(claimOf);
	}
}
