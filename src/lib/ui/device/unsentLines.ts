import { i18n, t } from '$lib/i18n/i18n.svelte.ts';
import type { UnsentAppointment, UnsentDoc } from '$lib/local/index.ts';

/** One line of the list of unsent changes, as a person reads it to re-enter the change. */
export interface UnsentLine {
	key: string;
	text: string;
	/** For an appointment: what happened to it and when it starts (tests and styling read them). */
	action?: UnsentAppointment['action'];
	start?: string;
}

/** "26 Nov 10:00" from a clinic wall time (`YYYY-MM-DDTHH:mm`), in the UI's language. */
export function wallTimeLabel(start: string): string {
	const [year, month, day] = start.slice(0, 10).split('-').map(Number);
	return `${i18n.format(new Date(year, month - 1, day), { day: 'numeric', month: 'short' })} ${start.slice(11, 16)}`;
}

function appointmentLine(a: UnsentAppointment): UnsentLine {
	const base = { key: a.id, action: a.action, start: a.start };
	if (a.action === 'deleted' || a.start === undefined) return { ...base, text: t('device.unsent.appointmentDeleted') };
	// A patient the device has no name for (not yet in its table) is still an appointment at a time, not a deletion.
	const params = { patient: a.patientName ?? t('schedule.unknownPatient'), when: wallTimeLabel(a.start) };
	return {
		...base,
		text: t(a.action === 'added' ? 'device.unsent.appointmentAdded' : 'device.unsent.appointmentChanged', params)
	};
}

/** Every unsent doc as lines: each appointment by name and time, other kinds as a count. */
export function unsentLines(docs: UnsentDoc[]): UnsentLine[] {
	return docs.flatMap((doc) =>
		doc.appointments.length > 0
			? doc.appointments.map(appointmentLine)
			: [
					{
						key: doc.docName,
						text: t('device.unsent.otherChanges', { count: doc.changes, kind: t(`device.kind.${doc.kind}`) })
					}
				]
	);
}
