import type { Appointment, AppointmentChange, AppointmentStatus } from '$lib/domain/schedule.ts';

/** The fields the appointment dialog edits, as the form holds them. */
export interface EditableAppointment {
	/** The contact the appointment is for; '' while none is picked. */
	patientId: string;
	practitionerId: string;
	/** '' for none. */
	roomId: string;
	/** '' for none. */
	serviceId: string;
	/** `YYYY-MM-DD`, the clinic's day. */
	day: string;
	/** `HH:mm`. */
	time: string;
	durationMinutes: number;
	note: string;
	status: AppointmentStatus;
}

const FIELDS = [
	'patientId',
	'practitionerId',
	'roomId',
	'serviceId',
	'day',
	'time',
	'durationMinutes',
	'note',
	'status'
] as const;
export type EditableField = (typeof FIELDS)[number];

export function editableOf(a: Appointment): EditableAppointment {
	return {
		patientId: a.patientId ?? '',
		practitionerId: a.practitionerId,
		roomId: a.roomId ?? '',
		serviceId: a.serviceId ?? '',
		day: a.start.slice(0, 10),
		time: a.start.slice(11, 16),
		durationMinutes: a.durationMinutes,
		note: a.note,
		status: a.status
	};
}

const same = (field: EditableField, a: EditableAppointment, b: EditableAppointment) =>
	field === 'durationMinutes' ? Number(a[field]) === Number(b[field]) : String(a[field]).trim() === String(b[field]).trim();

/**
 * Only what the person changed in the dialog, as a change to write: fields they did not touch are left out, so an
 * edit made meanwhile on another device (a new note while this one moved the time) is kept, not written over.
 */
export function changedFields(opened: EditableAppointment, edited: EditableAppointment): AppointmentChange {
	const change: AppointmentChange = {};
	if (!same('patientId', opened, edited) && edited.patientId) change.patientId = edited.patientId;
	if (!same('practitionerId', opened, edited)) change.practitionerId = edited.practitionerId;
	if (!same('roomId', opened, edited)) change.roomId = edited.roomId || null;
	if (!same('serviceId', opened, edited)) change.serviceId = edited.serviceId || null;
	if (!same('day', opened, edited) || !same('time', opened, edited)) change.start = `${edited.day}T${edited.time}`;
	if (!same('durationMinutes', opened, edited)) change.durationMinutes = Number(edited.durationMinutes);
	if (!same('note', opened, edited)) change.note = edited.note;
	if (!same('status', opened, edited)) change.status = edited.status;
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
