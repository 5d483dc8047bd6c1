import type { ThreadSummary } from './inbox.ts';
import type { ConsentEvent, MergeRecord, Patient } from './patients.ts';

/** One line of a patient's timeline, newest first on screen. */
export type TimelineItem =
	| { kind: 'thread'; at: string; thread: ThreadSummary }
	| { kind: 'consent'; at: string; consent: ConsentEvent }
	| { kind: 'merge'; at: string; merge: MergeRecord }
	| { kind: 'created'; at: string };

/**
 * Everything about the patient in time order, newest first: their conversations (by last activity), consent
 * changes, merges, and when the record was made. `threads` are the threads of the patient's record ids
 * (`recordIds`), as the device's query table holds them. Appointments and notes join as their areas land.
 */
export function patientTimeline(patient: Patient, threads: readonly ThreadSummary[]): TimelineItem[] {
	const items: TimelineItem[] = [
		...threads.map((thread): TimelineItem => ({ kind: 'thread', at: thread.lastMessageAt, thread })),
		...patient.consents.map((consent): TimelineItem => ({ kind: 'consent', at: consent.at, consent })),
		...patient.merges.map((merge): TimelineItem => ({ kind: 'merge', at: merge.at, merge })),
		{ kind: 'created', at: patient.createdAt }
	];
	return items.sort((a, b) => b.at.localeCompare(a.at));
}
