import type { Appointment } from '$lib/domain/schedule.ts';

/**
 * One row per appointment of each month the device has opened, kept from the month docs (`MonthIndex`), so a day or
 * week is drawn from IndexedDB in one indexed read while the month docs (hundreds of KB each) are still loading.
 * Keyed by month and id: during a move between months both docs may briefly hold the appointment.
 */
export interface AppointmentRow {
	month: string;
	id: string;
	/** The day it starts on (yyyy-mm-dd), clinic time: the index a screen reads. */
	day: string;
	appointment: Appointment;
}

export const SCHEDULE_TABLES: Record<string, string> = {
	appointmentRows: '[month+id], month, day'
};

/** The `indexMarks` entry saying up to which state of a month doc its rows are built. */
export const monthMark = (month: string) => `schedule:${month}`;
