import { z } from 'zod';
import type { Practitioner } from '$lib/domain/directory.ts';
import type { StaffFigure } from './admin-api.ts';

/** A calendar month as the reports take it: `yyyy-mm`. */
export const reportMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);

/** The month the device's clock is in, `yyyy-mm`. */
export function monthOf(date: Date): string {
	return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

/** The month `delta` months from `month` (`yyyy-mm`). */
export function shiftMonth(month: string, delta: number): string {
	const [year, m] = reportMonth.parse(month).split('-').map(Number);
	return monthOf(new Date(year, m - 1 + delta, 1));
}

export interface FigureRow {
	practitionerId: string;
	/** Null when the directory on this device does not (yet) hold that practitioner. */
	name: string | null;
	/** The directory's validated colour (it goes into `style=`). */
	color: Practitioner['color'] | null;
	appointments: number;
	minutes: number;
}

/** One row per practitioner with figures, named from the directory and in its order, then a total. */
export function figureRows(
	figures: readonly StaffFigure[],
	practitioners: readonly Pick<Practitioner, 'id' | 'name' | 'color'>[]
): { rows: FigureRow[]; total: { appointments: number; minutes: number } } {
	const order = new Map(practitioners.map((p, i) => [p.id, i]));
	const rank = (f: StaffFigure) => order.get(f.practitionerId) ?? practitioners.length;
	const rows = figures
		.map((f) => {
			const p = practitioners.find((x) => x.id === f.practitionerId);
			return { ...f, name: p?.name ?? null, color: p?.color ?? null };
		})
		.sort((a, b) => rank(a) - rank(b));
	const total = rows.reduce((sum, r) => ({ appointments: sum.appointments + r.appointments, minutes: sum.minutes + r.minutes }), {
		appointments: 0,
		minutes: 0
	});
	return { rows, total };
}
