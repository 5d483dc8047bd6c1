import { describe, expect, it } from 'vitest';
import { shiftDay, today } from '../../src/lib/schedule/days.ts';

describe('the schedule’s today is the clinic’s', () => {
	it('is the date in the given time zone, whatever the device’s', () => {
		// Zones without daylight saving, 25 hours apart: their dates differ by one day, and by two in the hour from
		// 10:00 UTC (a run then once failed a test that assumed one). Each is checked against UTC shifted by its offset,
		// read before and after (a run across a change of date may see either).
		const utcDate = (offsetHours: number) => new Date(Date.now() + offsetHours * 3_600_000).toISOString().slice(0, 10);
		const before = { kiritimati: utcDate(14), pagoPago: utcDate(-11) };
		const kiritimati = today('Pacific/Kiritimati');
		const pagoPago = today('Pacific/Pago_Pago');
		const after = { kiritimati: utcDate(14), pagoPago: utcDate(-11) };
		expect([before.kiritimati, after.kiritimati]).toContain(kiritimati);
		expect([before.pagoPago, after.pagoPago]).toContain(pagoPago);
		expect([shiftDay(pagoPago, 1), shiftDay(pagoPago, 2)]).toContain(kiritimati);
	});
});
