import { describe, expect, it } from 'vitest';
import { Accounts, Invitations, Sessions, StaffAdmin } from '../../server/auth/index.ts';
import type { Keyring } from '../../server/crypto/index.ts';
import { storeWithStaff } from '../helpers/staffStore.ts';

const HOUR = 60 * 60 * 1000;

describe('ADMIN-INVITE-1: an invitation link expires', () => {
	it('works until its expiry and not after; a used or replaced one never again', async () => {
		let now = Date.UTC(2026, 10, 26, 9);
		const clock = () => now;
		const store = await storeWithStaff('fd-invite-', now);
		// Creating staff needs no key: only clinics have one.
		const accounts = new Accounts(store, {} as Keyring);
		const sessions = new Sessions(store, clock);
		const staff = new StaffAdmin(store, accounts, sessions, { invitationTtlMs: 72 * HOUR, now: clock });
		const invitations = new Invitations(store, accounts, sessions, clock);
		const admin = (await store.users.getById('u1'))!;

		const { member, invitation } = await staff.invite(admin, { name: 'Elif', email: 'elif@example.com', role: 'reception' });
		expect(invitation.expiresAt).toBe(now + 72 * HOUR);
		now += 71 * HOUR;
		expect(await invitations.inspect(invitation.token)).toMatchObject({ email: 'elif@example.com' });
		now += 2 * HOUR;
		expect(await invitations.inspect(invitation.token)).toBeNull();
		expect(await invitations.accept(invitation.token, 'too late for this')).toBeNull();
		expect((await store.users.getById(member.id))?.passwordHash).toBe('');

		const second = await staff.reinvite(admin, member.id);
		const third = await staff.reinvite(admin, member.id);
		expect(await invitations.accept(second.token, 'replaced already')).toBeNull();
		expect((await invitations.accept(third.token, 'elif chose this'))?.id).toBe(member.id);
		expect(await invitations.accept(third.token, 'elif chose this')).toBeNull();
		expect(await accounts.authenticate('elif@example.com', 'elif chose this')).not.toBeNull();
	});
});
