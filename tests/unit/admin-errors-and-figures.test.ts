import { describe, expect, it } from 'vitest';
import { adminErrorMessage } from '../../src/lib/ui/admin/admin-errors.ts';
import { figureRows, monthOf, shiftMonth } from '../../src/lib/ui/admin/staff-figures.ts';
import { hexColor } from '../../src/lib/domain/fields.ts';

describe('what a refused administration call tells the admin', () => {
	it('reads a conflict by what was being done', () => {
		expect(adminErrorMessage('CONFLICT', 'invite')).toBe('staff.error.emailTaken');
		expect(adminErrorMessage('CONFLICT', 'changeRole')).toBe('staff.error.lastAdmin');
		expect(adminErrorMessage('CONFLICT', 'deactivate')).toBe('staff.error.lastAdmin');
		expect(adminErrorMessage('CONFLICT', 'reinvite')).toBe('staff.error.reactivateFirst');
	});

	it('tells a wrong current password from a missing right', () => {
		expect(adminErrorMessage('FORBIDDEN', 'changePassword')).toBe('account.password.wrongCurrent');
		expect(adminErrorMessage('FORBIDDEN', 'load')).toBe('admin.error.forbidden');
	});

	it('says an invitation link is unusable whether it is unknown, used, expired or malformed', () => {
		expect(adminErrorMessage('NOT_FOUND', 'inspectInvitation')).toBe('invite.error.unusable');
		expect(adminErrorMessage('NOT_FOUND', 'acceptInvitation')).toBe('invite.error.unusable');
		expect(adminErrorMessage('BAD_REQUEST', 'inspectInvitation', ['token'])).toBe('invite.error.unusable');
		expect(adminErrorMessage('BAD_REQUEST', 'acceptInvitation', ['password'])).toBe('admin.password.tooShort');
	});

	it('says when the server is out of reach', () => {
		expect(adminErrorMessage('NETWORK', 'invite')).toBe('admin.error.offline');
		expect(adminErrorMessage('INTERNAL_SERVER_ERROR', 'invite')).toBe('admin.error.failed');
	});
});

describe('staff figures', () => {
	const ayse = { id: 'p1', name: 'Dr. Ayşe Yılmaz', color: hexColor.parse('#0f766e') };
	const mehmet = { id: 'p2', name: 'Dr. Mehmet Demir', color: hexColor.parse('#1d4ed8') };

	it('names each practitioner from the directory, in its order, with a total', () => {
		const { rows, total } = figureRows(
			[
				{ practitionerId: 'gone', appointments: 1, minutes: 30 },
				{ practitionerId: 'p2', appointments: 3, minutes: 90 },
				{ practitionerId: 'p1', appointments: 2, minutes: 75 }
			],
			[ayse, mehmet]
		);
		expect(rows.map((r) => r.name)).toEqual(['Dr. Ayşe Yılmaz', 'Dr. Mehmet Demir', null]);
		expect(total).toEqual({ appointments: 6, minutes: 195 });
	});

	it('steps through months across the year', () => {
		expect(monthOf(new Date(2026, 0, 31))).toBe('2026-01');
		expect(shiftMonth('2026-01', -1)).toBe('2025-12');
		expect(shiftMonth('2026-12', 1)).toBe('2027-01');
		expect(() => shiftMonth('2026-13', 1)).toThrow();
	});
});
