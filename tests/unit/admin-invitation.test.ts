import { describe, expect, it } from 'vitest';
import { invitationLink, tokenFromFragment } from '../../src/lib/ui/admin/invitation-link.ts';
import { parseInviteForm } from '../../src/lib/ui/admin/invite-form.ts';
import { newPasswordProblem } from '../../src/lib/ui/admin/password-rules.ts';

const TOKEN = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst';

describe('the invitation link', () => {
	it('carries the token in the fragment, which browsers never send to a server', () => {
		const link = invitationLink('https://klinik.example', TOKEN);
		expect(link).toBe(`https://klinik.example/invite#${TOKEN}`);
		const url = new URL(link);
		expect(url.pathname + url.search).toBe('/invite');
		expect(tokenFromFragment(url.hash)).toBe(TOKEN);
	});

	it('reads nothing from a fragment that cannot be a link the server made', () => {
		expect(tokenFromFragment('')).toBeNull();
		expect(tokenFromFragment('#')).toBeNull();
		expect(tokenFromFragment('#short')).toBeNull();
		expect(tokenFromFragment('#<script>alert(1)</script>')).toBeNull();
		expect(tokenFromFragment('#%E0%A4%A')).toBeNull();
	});
});

describe('the invite form', () => {
	it('sends a trimmed name, a lowercase email and the role', () => {
		expect(
			parseInviteForm({ name: ' Selin Aydın ', email: ' Selin@Klinik.Example ', role: 'reception', practitionerId: null })
		).toEqual({
			ok: true,
			request: { name: 'Selin Aydın', email: 'selin@klinik.example', role: 'reception', practitionerId: null }
		});
	});

	it('keeps the directory entry for a practitioner only', () => {
		const practitioner = parseInviteForm({
			name: 'Dr. Ayşe',
			email: 'ayse@example.com',
			role: 'practitioner',
			practitionerId: 'p1'
		});
		expect(practitioner.ok && practitioner.request.practitionerId).toBe('p1');
		const reception = parseInviteForm({ name: 'Can', email: 'can@example.com', role: 'reception', practitionerId: 'p1' });
		expect(reception.ok && reception.request.practitionerId).toBeNull();
	});

	it('names each wrong field and sends nothing', () => {
		expect(parseInviteForm({ name: '  ', email: 'not an email', role: 'owner', practitionerId: null })).toEqual({
			ok: false,
			errors: { name: 'staff.invite.nameRequired', email: 'staff.invite.emailInvalid', role: 'staff.invite.roleRequired' }
		});
	});
});

describe('a new password', () => {
	it('needs ten characters, typed the same twice', () => {
		expect(newPasswordProblem('short', 'short')).toBe('admin.password.tooShort');
		expect(newPasswordProblem('correct horse battery', 'correct horse batery')).toBe('admin.password.mismatch');
		expect(newPasswordProblem('x'.repeat(1025), 'x'.repeat(1025))).toBe('admin.password.tooLong');
		expect(newPasswordProblem('correct horse battery', 'correct horse battery')).toBeNull();
	});
});
