import { afterEach, describe, expect, it } from 'vitest';
import { startClinicServer } from '../helpers/clinic.ts';
import { login, trpc } from '../helpers/client.ts';
import { PHONE_NUMBER_ID, WA_TOKEN } from '../helpers/fakeMeta.ts';
import { admin, createClinic, createUser, type ServerProcess } from '../helpers/server.ts';

const running: ServerProcess[] = [];
afterEach(async () => {
	await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
});

describe('CHAN-ACCOUNT-1: accounts map to one clinic; tokens are sealed, never shown', () => {
	it('the CLI connects with the token on stdin, prints JSON without it; another clinic cannot take the account', async () => {
		const s = await startClinicServer('admin');
		running.push(s.server);
		const wa = await admin(
			s.env,
			['connect-whatsapp', '--clinic', s.clinic, '--phone-number-id', PHONE_NUMBER_ID],
			WA_TOKEN + '\n'
		);
		expect(wa.code, wa.stderr).toBe(0);
		expect(wa.json).toMatchObject({ clinicId: s.clinic, provider: 'whatsapp', externalId: PHONE_NUMBER_ID, hasToken: true });
		expect(JSON.stringify(wa.json)).not.toContain(WA_TOKEN);
		const other = await createClinic(s.env, 'Other');
		const taken = await admin(s.env, [
			'connect-whatsapp',
			'--clinic',
			other,
			'--phone-number-id',
			PHONE_NUMBER_ID,
			'--access-token',
			WA_TOKEN
		]);
		expect(taken.code).toBe(1);
		expect(taken.stderr).toContain('connected to another clinic');
		const badPhone = await admin(s.env, ['connect-phone', '--clinic', s.clinic, '--number', '12']);
		expect(badPhone.code).toBe(1);
		expect(badPhone.stderr).toContain('not a valid phone number');
		const missing = await admin(s.env, ['connect-instagram', '--clinic', s.clinic]);
		expect(missing.code).toBe(64);
	});
});

describe('CHAN-ACCOUNT-2: admins list, connect and disconnect channels; tokens are write-only', () => {
	it('an admin connects and disconnects; the list never carries a token; other roles are refused', async () => {
		const s = await startClinicServer('admin');
		running.push(s.server);
		const call = (procedure: string, input: unknown, cookie = s.cookie, method: 'GET' | 'POST' = 'POST') =>
			trpc(s.server.url, procedure, input, { cookie, method });
		const connected = await call('channels.connect', {
			provider: 'instagram',
			externalId: '17841405822304914',
			accessToken: 'IGQW-secret-token-value-123456'
		});
		expect(connected.status).toBe(200);
		await call('channels.connect', { provider: 'phone', externalId: '0216 123 45 67' });
		const list = await call('channels.list', undefined, s.cookie, 'GET');
		expect(list.body.result?.data).toEqual([
			expect.objectContaining({ provider: 'instagram', externalId: '17841405822304914', hasToken: true }),
			expect.objectContaining({ provider: 'phone', externalId: '+902161234567', hasToken: false })
		]);
		expect(JSON.stringify(list.body)).not.toContain('IGQW-secret');
		const invalid = await call('channels.connect', { provider: 'whatsapp', externalId: 'abc', accessToken: 'short' });
		expect(invalid.status).toBe(400);
		expect(invalid.body.error?.data.validation).toBeTruthy();

		const reception = await createUser(s.env, s.clinic, 'reception');
		const receptionCookie = await login(s.server.url, reception.email, reception.password);
		expect((await call('channels.list', undefined, receptionCookie, 'GET')).status).toBe(403);
		expect((await call('channels.disconnect', { provider: 'phone', externalId: '+902161234567' }, receptionCookie)).status).toBe(
			403
		);

		expect((await call('channels.disconnect', { provider: 'phone', externalId: '+902161234567' })).status).toBe(200);
		expect((await call('channels.disconnect', { provider: 'phone', externalId: '+902161234567' })).status).toBe(404);
		const after = await call('channels.list', undefined, s.cookie, 'GET');
		expect((after.body.result?.data as unknown[]).length).toBe(1);
	});
});
