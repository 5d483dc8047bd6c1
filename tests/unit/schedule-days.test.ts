import { describe, expect, it } from 'vitest';
import { shiftDay, today } from '../../src/lib/schedule/days.ts';

describe('the schedule’s today is the clinic’s', () => {
	it('is the date in the given time zone, whatever the device’s', () => {
		// UTC+14 and UTC−11 are 25 hours apart: their dates always differ by exactly one day.
		const kiritimati = today('Pacific/Kiritimati');
		const pagoPago = today('Pacific/Pago_Pago');
		expect(kiritimati).toMatch(/^\d{4}-\d{2}-\d{2}$/);
		expect(shiftDay(pagoPago, 1)).toBe(kiritimati);
	});
});
