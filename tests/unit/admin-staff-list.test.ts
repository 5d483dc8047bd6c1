import { describe, expect, it } from 'vitest';
import type { StaffMember } from '../../src/lib/ui/admin/admin-api.ts';
import { groupStaff, invitationState, isLastActiveAdmin } from '../../src/lib/ui/admin/staff-groups.ts';

const NOW = Date.UTC(2026, 10, 26, 12);
const HOUR = 3_600_000;

function member(name: string, extra: Partial<StaffMember> = {}): StaffMember {
	return {
		id: name.toLowerCase().replace(/\W/g, ''),
		name,
		email: `${name.toLowerCase().replace(/\W/g, '')}@example.com`,
		role: 'reception',
		active: true,
		practitionerId: null,
		passwordSet: true,
		invitation: null,
		createdAt: NOW - 24 * HOUR,
		sessions: [],
		...extra
	};
}

describe('the staff list an admin reads', () => {
	it('shows active people first and the deactivated after, each group by name in Turkish order', () => {
		const groups = groupStaff([
			member('Zeynep Arslan'),
			member('Çağla Demir', { active: false }),
			member('Can Öztürk'),
			member('Ömer Kaya'),
			member('Ayşe Yılmaz', { active: false })
		]);
		expect(groups.active.map((m) => m.name)).toEqual(['Can Öztürk', 'Ömer Kaya', 'Zeynep Arslan']);
		expect(groups.deactivated.map((m) => m.name)).toEqual(['Ayşe Yılmaz', 'Çağla Demir']);
	});

	it('says whether a person signed up, has a link waiting, or needs a new one', () => {
		expect(invitationState(member('A'), NOW)).toBe('accepted');
		expect(invitationState(member('B', { passwordSet: false, invitation: { expiresAt: NOW + HOUR } }), NOW)).toBe('pending');
		expect(invitationState(member('C', { passwordSet: false, invitation: { expiresAt: NOW - 1 } }), NOW)).toBe('expired');
		expect(invitationState(member('D', { passwordSet: false, invitation: null }), NOW)).toBe('expired');
	});

	it('knows the clinic’s only active admin, so they keep the role and stay active', () => {
		const ayse = member('Ayşe', { role: 'admin' });
		const former = member('Former', { role: 'admin', active: false });
		const staff = [ayse, former, member('Can')];
		expect(isLastActiveAdmin(ayse, staff)).toBe(true);
		expect(isLastActiveAdmin(former, staff)).toBe(false);
		const mehmet = member('Mehmet', { role: 'admin' });
		expect(isLastActiveAdmin(ayse, [...staff, mehmet])).toBe(false);
	});
});
