import { parseDateTime } from '@internationalized/date';
import { z } from 'zod';
import { newId } from './ids.ts';
import {
	addAppointment,
	appointmentChange,
	appointmentInput,
	assertSameDay,
	changeAppointment,
	listAppointments,
	MAX_OCCURRENCES,
	monthOf,
	ScheduleError,
	type Appointment,
	type AppointmentChange,
	type AppointmentInput,
	type ScheduleDoc
} from './schedule.ts';
import { moveAppointment } from './scheduleMoves.ts';

/**
 * Recurring appointments (SCHEDULE-SERIES-1..3): a series books real occurrences, each an appointment of its own in
 * its month's doc, marked with the series' id, its index and the month of the last one. Each can be changed on its
 * own like any appointment, or together with every later one ("this and following").
 */

export const repeatInput = z.object({
	everyWeeks: z.number().int().min(1).max(12),
	count: z.number().int().min(2).max(MAX_OCCURRENCES)
});
export type Repeat = z.input<typeof repeatInput>;

/** The starts of a series: the first, then every `everyWeeks` weeks, `count` in all, at the same clinic time. */
export function seriesStarts(start: string, repeat: Repeat): string[] {
	const { everyWeeks, count } = repeatInput.parse(repeat);
	const first = parseDateTime(start);
	return Array.from({ length: count }, (_, i) =>
		first
			.add({ weeks: i * everyWeeks })
			.toString()
			.slice(0, 16)
	);
}

/** The months from `from` to `until` (both `yyyy-mm`), in order: the docs a series change must have at hand. */
export function monthsBetween(from: string, until: string): string[] {
	const months: string[] = [];
	for (let at = parseDateTime(`${from}-01T00:00`); monthOf(at.toString()) <= until; at = at.add({ months: 1 })) {
		months.push(monthOf(at.toString()));
		if (months.length > 12 * 12) break;
	}
	return months;
}

/**
 * Books every occurrence of a series. `month(m)` gives the doc of month `m` (each month the series touches:
 * `monthsBetween` of the first and last start). All occurrences are checked before any is written.
 */
export function addSeries(month: (m: string) => ScheduleDoc, input: AppointmentInput, repeat: Repeat): Appointment[] {
	const first = appointmentInput.parse(input);
	const starts = seriesStarts(first.start, repeat);
	for (const start of starts) assertSameDay({ start, durationMinutes: first.durationMinutes });
	const series = { id: newId(), until: monthOf(starts[starts.length - 1]) };
	const docs = starts.map((start) => month(monthOf(start)));
	return starts.map((start, index) => addAppointment(docs[index], { ...input, start, series: { ...series, index } }));
}

/** The occurrences of a series found in `months`, by their index. */
export function listSeries(months: Iterable<ScheduleDoc>, seriesId: string): Appointment[] {
	const found: Appointment[] = [];
	for (const schedule of months) for (const a of listAppointments(schedule)) if (a.series?.id === seriesId) found.push(a);
	return found.sort((a, b) => a.series!.index - b.series!.index);
}

/** The furthest a "this and following" change moves occurrences: further is booking a new series. */
export const MAX_SERIES_SHIFT_DAYS = 31;
export const SERIES_SHIFT_TOO_FAR = 'a series moves by at most 31 days';

const shiftMonth = (month: string, by: number) => monthOf(parseDateTime(`${month}-01T00:00`).add({ months: by }).toString());

/**
 * The months whose docs a "this and following" change of `occurrence` needs: from the month before it to the month
 * after the series' last (occurrences may move by up to `MAX_SERIES_SHIFT_DAYS`).
 */
export function seriesMonths(occurrence: Appointment): string[] {
	if (!occurrence.series) return [monthOf(occurrence.start)];
	return monthsBetween(shiftMonth(monthOf(occurrence.start), -1), shiftMonth(occurrence.series.until, 1));
}

const minutesBetween = (from: string, to: string) =>
	Math.round((parseDateTime(to).toDate('UTC').getTime() - parseDateTime(from).toDate('UTC').getTime()) / 60_000);

/**
 * "This and following": applies `change` to `occurrence` and every later occurrence of its series. A new start
 * shifts each of them by as much as this one moves (to another month too, by at most `MAX_SERIES_SHIFT_DAYS`).
 * `month(m)` gives the doc of each month `seriesMonths(occurrence)` names. Everything is checked before anything is
 * written; returns the changed occurrences.
 */
export function changeFollowing(
	month: (m: string) => ScheduleDoc,
	occurrence: Appointment,
	change: AppointmentChange
): Appointment[] {
	if (!occurrence.series) throw new ScheduleError('not part of a series');
	const parsed = appointmentChange.parse(change);
	const { id: seriesId, index } = occurrence.series;
	const following = listSeries(seriesMonths(occurrence).map(month), seriesId).filter((a) => a.series!.index >= index);
	const shift = parsed.start === undefined ? 0 : minutesBetween(occurrence.start, parsed.start);
	if (Math.abs(shift) > MAX_SERIES_SHIFT_DAYS * 24 * 60) throw new ScheduleError(SERIES_SHIFT_TOO_FAR);
	const plans = following.map((a) => {
		const start = parseDateTime(a.start).add({ minutes: shift }).toString().slice(0, 16);
		const next = { ...parsed, ...(parsed.start === undefined ? {} : { start }) };
		assertSameDay({ start: next.start ?? a.start, durationMinutes: next.durationMinutes ?? a.durationMinutes });
		return { a, next };
	});
	return plans.map(({ a, next }) => {
		const from = month(monthOf(a.start));
		if (next.start === undefined || monthOf(next.start) === from.month) return changeAppointment(from, a.id, next);
		return moveAppointment(from, month(monthOf(next.start)), a.id, next);
	});
}
