import type { TimelineItem } from '$lib/domain/patientTimeline.ts';

/**
 * A timeline line's own key, the same however lines come and go (the list is keyed by it, never by position, so
 * a line added on top does not make every line below redraw as another one).
 */
export function timelineKey(item: TimelineItem): string {
	switch (item.kind) {
		case 'thread':
			return `thread:${item.thread.id}`;
		case 'consent':
			return `consent:${item.consent.id}`;
		// One merge per merged record: the kept entry holds it under `merge:<goneId>`.
		case 'merge':
			return `merge:${item.merge.goneId}`;
		// Clinical and administrative notes live in two docs: their ids are unique within each.
		case 'note':
			return `${item.clinical ? 'clinical' : 'administrative'}:${item.note.id}`;
		case 'appointment':
			return `appointment:${item.appointment.id}`;
		case 'created':
			return 'created';
	}
}
