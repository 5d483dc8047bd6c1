import { describe, expect, it } from 'vitest';
import { parseConnectForm } from '../../src/lib/settings/channels/connect-form.ts';

describe('CHAN-ACCOUNT-2: the connect form says what is wrong before anything is sent', () => {
	it('WhatsApp and Instagram need a numeric id and a whole token', () => {
		expect(
			parseConnectForm({ provider: 'whatsapp', externalId: ' 106540352242922 ', accessToken: ' EAAG-0123456789abcdefghij ' })
		).toEqual({
			ok: true,
			request: { provider: 'whatsapp', externalId: '106540352242922', accessToken: 'EAAG-0123456789abcdefghij' }
		});
		expect(parseConnectForm({ provider: 'instagram', externalId: 'my-account', accessToken: 'short' })).toEqual({
			ok: false,
			errors: { externalId: 'channels.error.externalId', accessToken: 'channels.error.token' }
		});
	});

	it('a phone number needs no token and is accepted in the usual spellings', () => {
		for (const number of ['0216 123 45 67', '+90 216 123 4567', '(0216) 123-45-67']) {
			expect(parseConnectForm({ provider: 'phone', externalId: number, accessToken: '' })).toEqual({
				ok: true,
				request: { provider: 'phone', externalId: number }
			});
		}
		expect(parseConnectForm({ provider: 'phone', externalId: 'call us', accessToken: '' })).toEqual({
			ok: false,
			errors: { externalId: 'channels.error.phone' }
		});
	});

	it('an unknown channel is refused', () => {
		expect(parseConnectForm({ provider: 'fax', externalId: '1', accessToken: '' })).toMatchObject({ ok: false });
	});
});
