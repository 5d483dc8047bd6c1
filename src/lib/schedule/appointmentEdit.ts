import type { Appointment, AppointmentChange } from '$lib/domain/schedule.ts';

/** The fields the appointment dialog edits, as the form holds them. */
export interface EditableAppointment {
	practitionerId: string;
	/** `YYYY-MM-DD`, the clinic's day. */
	day: string;
	/** `HH:mm`. */
	time: string;
	durationMinutes: number;
	patientName: string;
	note: string;
}

const FIELDS = ['practitionerId', 'day', 'time', 'durationMinutes', 'patientName', 'note'] as const;
export type EditableField = (typeof FIELDS)[number];

export function editableOf(a: Appointment): EditableAppointment {
	return {
		practitionerId: a.practitionerId,
		day: a.start.slice(0, 10),
		time: a.start.slice(11, 16),
		durationMinutes: a.durationMinutes,
		patientName: a.patientName ?? '',
		note: a.note
	};
}

const same = (field: EditableField, a: EditableAppointment, b: EditableAppointment) =>
	field === 'durationMinutes' ? Number(a[field]) === Number(b[field]) : String(a[field]).trim() === String(b[field]).trim();

/**
 * Only what the person changed in the dialog, as a change to write: fields they did not touch are left out, so an
 * edit made meanwhile on another device (a rename while this one moved the time) is kept, not written over.
 */
export function changedFields(opened: EditableAppointment, edited: EditableAppointment): AppointmentChange {
	const change: AppointmentChange = {};
	if (!same('practitionerId', opened, edited)) change.practitionerId = edited.practitionerId;
	if (!same('day', opened, edited) || !same('time', opened, edited)) change.start = `${edited.day}T${edited.time}`;
	if (!same('durationMinutes', opened, edited)) change.durationMinutes = Number(edited.durationMinutes);
	if (!same('patientName', opened, edited)) change.patientName = edited.patientName.trim();
	if (!same('note', opened, edited)) change.note = edited.note;
	return change;
}

/**
 * The appointment changed elsewhere while the dialog was open: fields the person has not touched take the new
 * value, fields they changed keep theirs. Returns the new baseline, the form's values and what changed elsewhere.
 */
export function rebase(
	opened: EditableAppointment,
	edited: EditableAppointment,
	current: EditableAppointment
): { opened: EditableAppointment; edited: EditableAppointment; changedElsewhere: EditableField[] } {
	const next = { ...edited };
	const changedElsewhere: EditableField[] = [];
	for (const field of FIELDS) {
		if (same(field, opened, current)) continue;
		changedElsewhere.push(field);
		if (same(field, opened, edited)) (next as Record<EditableField, unknown>)[field] = current[field];
	}
	return { opened: { ...current }, edited: next, changedElsewhere };
}
