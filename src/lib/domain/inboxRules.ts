import { fromAbsolute } from '@internationalized/date';
import type * as Y from 'yjs';
import { z } from 'zod';
import { isWithinHours, weekdayOf, type WeeklyHours } from './businessHours.ts';
import { businessHours, clinicProfile, listClosedDays } from './clinicSettings.ts';
import { docId } from './fields.ts';

/**
 * The clinic's inbox rules, kept in the directory doc (admins change them): who gets new conversations
 * (round-robin among the staff on duty, with a cap per person) and the away message sent outside business hours.
 * Which staff are on duty lives in the inbox doc, where each person switches themselves on and off.
 */

export const MAX_AWAY_TEXT_LENGTH = 1000;
export const MAX_OPEN_THREADS_CAP = 500;

export interface InboxRules {
	autoAssign: boolean;
	/** Open threads one person may hold before auto-assignment skips them. */
	capPerPerson: number;
	awayMessage: boolean;
	awayText: string;
}

export const DEFAULT_INBOX_RULES: InboxRules = { autoAssign: false, capPerPerson: 20, awayMessage: false, awayText: '' };

export const inboxRulesChange = z
	.object({
		autoAssign: z.boolean(),
		capPerPerson: z.number().int().min(1, 'inboxRules.cap').max(MAX_OPEN_THREADS_CAP, 'inboxRules.cap'),
		awayMessage: z.boolean(),
		awayText: z.string().trim().max(MAX_AWAY_TEXT_LENGTH, 'inboxRules.awayTextLength')
	})
	.partial();
export type InboxRulesChange = z.input<typeof inboxRulesChange>;

const rulesMap = (doc: Y.Doc) => doc.getMap<unknown>('inboxRules');

/** The rules as set, each bad or missing field falling back on its own (DOC-READ-1). */
export function inboxRules(directory: Y.Doc): InboxRules {
	const map = rulesMap(directory);
	const field = <K extends keyof InboxRules>(key: K) => {
		const parsed = inboxRulesChange.shape[key].safeParse(map.get(key));
		return (parsed.success && parsed.data !== undefined ? parsed.data : DEFAULT_INBOX_RULES[key]) as InboxRules[K];
	};
	return {
		autoAssign: field('autoAssign'),
		capPerPerson: field('capPerPerson'),
		awayMessage: field('awayMessage'),
		awayText: field('awayText')
	};
}

/** Changes some rules; an away message cannot be switched on without its text. */
export function changeInboxRules(directory: Y.Doc, change: InboxRulesChange): void {
	const fields = inboxRulesChange.parse(change);
	const next = { ...inboxRules(directory), ...fields };
	if (next.awayMessage && next.awayText.length === 0) {
		throw new z.ZodError([{ code: 'custom', path: ['awayText'], message: 'inboxRules.awayTextMissing', input: '' }]);
	}
	const map = rulesMap(directory);
	directory.transact(() => {
		for (const [k, v] of Object.entries(fields)) if (v !== undefined && map.get(k) !== v) map.set(k, v);
	});
}

/** What deciding "open or closed" needs from the directory, read once and kept while the directory is unchanged. */
export interface ClinicHours {
	timeZone: string;
	week: WeeklyHours;
	closedDays: readonly string[];
}

export function clinicHoursOf(directory: Y.Doc): ClinicHours {
	return {
		timeZone: clinicProfile(directory).timeZone,
		week: businessHours(directory),
		closedDays: listClosedDays(directory).map((d) => d.date)
	};
}

/** Whether the clinic is closed at `at`: a holiday, a closed day, or outside that day's hours, in its time zone. */
export function isOutsideHours(hours: ClinicHours, at: Date): boolean {
	const local = fromAbsolute(at.getTime(), hours.timeZone);
	const day = local.toString().slice(0, 10);
	if (hours.closedDays.includes(day)) return true;
	const minute = local.hour * 60 + local.minute;
	return !isWithinHours(hours.week[weekdayOf(day)], minute, minute);
}

export function isOutsideBusinessHours(directory: Y.Doc, at: Date): boolean {
	return isOutsideHours(clinicHoursOf(directory), at);
}

// Duty, in the inbox doc: each person's own switch (every staff member may write the inbox doc).
const dutyMap = (inbox: Y.Doc) => inbox.getMap<unknown>('duty');
const cursorMap = (inbox: Y.Doc) => inbox.getMap<unknown>('autoAssign');

export function setOnDuty(inbox: Y.Doc, userId: string, onDuty: boolean): void {
	const user = docId.parse(userId);
	if (dutyMap(inbox).get(user) !== onDuty) dutyMap(inbox).set(user, onDuty);
}

export function staffOnDuty(inbox: Y.Doc): string[] {
	return [...dutyMap(inbox).entries()]
		.filter(([user, on]) => on === true && docId.safeParse(user).success)
		.map(([user]) => user)
		.sort();
}

/**
 * The next person in turn: round-robin in a fixed order after the last one chosen, skipping anyone at the cap of
 * open threads. Null when nobody on duty has room.
 */
export function nextAssignee(
	candidates: readonly string[],
	last: string | null,
	openCount: (userId: string) => number,
	cap: number
): string | null {
	const order = [...new Set(candidates)].sort();
	if (order.length === 0) return null;
	const start = last === null ? 0 : order.findIndex((u) => u > last);
	for (let i = 0; i < order.length; i++) {
		const user = order[((start === -1 ? 0 : start) + i) % order.length];
		if (openCount(user) < cap) return user;
	}
	return null;
}

export function lastAutoAssigned(inbox: Y.Doc): string | null {
	const last = cursorMap(inbox).get('last');
	return typeof last === 'string' && docId.safeParse(last).success ? last : null;
}

export function recordAutoAssigned(inbox: Y.Doc, userId: string): void {
	cursorMap(inbox).set('last', docId.parse(userId));
}
