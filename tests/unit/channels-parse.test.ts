import { describe, expect, it } from 'vitest';
import { MalformedPayload, parseMetaPayload } from '../../server/channels/meta/parse.ts';
import { isMetaFileUrl } from '../../server/channels/meta/graph.ts';
import { metaPayload } from '../../server/channels/meta/schemas.ts';
import { metaSignature, validMetaSignature } from '../../server/channels/meta/signature.ts';
import { twilioSignature, validTwilioSignature } from '../../server/channels/twilio/signature.ts';
import { instagramMessaging, metaJson, whatsappMessages, whatsappStatus } from '../helpers/fakeMeta.ts';

const parse = (value: unknown) => parseMetaPayload(metaPayload.parse(JSON.parse(metaJson(value))));

describe('CHAN-META-SIG-1: X-Hub-Signature-256 over the exact bytes', () => {
	const raw = Buffer.from(metaJson({ text: 'Günaydın' }));

	it('accepts the HMAC of the escaped bytes, refuses any other bytes, secret or form', () => {
		expect(raw.toString()).toContain('G\\u00fcnayd\\u0131n');
		const header = metaSignature(raw, 'secret');
		expect(validMetaSignature(raw, header, 'secret')).toBe(true);
		// The same text, re-encoded as UTF-8 instead of escapes: other bytes, so another signature.
		expect(validMetaSignature(Buffer.from(JSON.stringify({ text: 'Günaydın' })), header, 'secret')).toBe(false);
		expect(validMetaSignature(raw, header, 'other')).toBe(false);
		expect(validMetaSignature(raw, header, null)).toBe(false);
		expect(validMetaSignature(raw, undefined, 'secret')).toBe(false);
		expect(validMetaSignature(raw, header.slice(0, -2), 'secret')).toBe(false);
		expect(validMetaSignature(raw, header.toUpperCase().replace('SHA256=', 'sha256='), 'secret')).toBe(true);
		expect(validMetaSignature(raw, 'sha256=zz', 'secret')).toBe(false);
	});
});

describe('CHAN-TWILIO-SIG-1: X-Twilio-Signature', () => {
	it("matches the example in Twilio's own request-validator tests (twilio-ruby)", () => {
		const token = '2bd9e9638872de601313dc77410d3b23';
		const url = 'http://twiliotests.heroku.com/validate/voice';
		const params = {
			ToState: 'California',
			CalledState: 'California',
			Direction: 'inbound',
			FromState: 'CA',
			AccountSid: 'ACba8bc05eacf94afdae398e642c9cc32d',
			Caller: '+14153595711',
			CallerZip: '94108',
			CallerCountry: 'US',
			From: '+14153595711',
			FromCity: 'SAN FRANCISCO',
			CallerCity: 'SAN FRANCISCO',
			To: '+14157669926',
			FromZip: '94108',
			FromCountry: 'US',
			ToCity: '',
			CallStatus: 'ringing',
			CalledCity: '',
			CallerState: 'CA',
			CalledZip: '',
			ToZip: '',
			ToCountry: 'US',
			CallSid: 'CA136d09cd59a3c0ec8dbff44da5c03f31',
			CalledCountry: 'US',
			Called: '+14157669926',
			ApiVersion: '2010-04-01',
			ApplicationSid: 'AP44efecad51364e80b133bb7c07eb8204'
		};
		expect(twilioSignature(token, url, params)).toBe('oVb2kXoVy8GEfwBDjR8bk/ZZ6eA=');
		expect(validTwilioSignature(token, url, params, 'oVb2kXoVy8GEfwBDjR8bk/ZZ6eA=')).toBe(true);
		expect(validTwilioSignature(token, url, { ...params, CallStatus: 'completed' }, 'oVb2kXoVy8GEfwBDjR8bk/ZZ6eA=')).toBe(false);
		expect(validTwilioSignature(null, url, params, 'oVb2kXoVy8GEfwBDjR8bk/ZZ6eA=')).toBe(false);
	});
});

describe('CHAN-META-TYPES-1: payloads normalize into events', () => {
	it('decodes \\uXXXX text, takes the profile name and the number from wa_id', () => {
		const [event] = parse(
			whatsappMessages('106', { waId: '905321234567', name: 'Şule' }, [
				{ id: 'wamid.1', type: 'text', text: { body: 'Çarşamba 😊' } }
			])
		);
		expect(event).toEqual({
			type: 'message',
			provider: 'whatsapp',
			accountId: '106',
			messageId: 'wamid.1',
			at: '2024-11-26T08:53:20.000Z',
			from: { identity: { channel: 'whatsapp', id: '905321234567' }, phone: '+905321234567', name: 'Şule' },
			messageType: 'text',
			text: 'Çarşamba 😊',
			details: {}
		});
	});

	it('CHAN-META-TYPES-2: a type we do not know is kept as unsupported:<type>', () => {
		const [event] = parse(
			whatsappMessages('106', { waId: '9055' }, [{ id: 'w', type: 'system', system: { body: 'changed number' } }])
		);
		expect(event).toMatchObject({ type: 'message', messageType: 'unsupported:system' });
	});

	it('documents and their media: id, mime and filename; the caption as text', () => {
		const [event] = parse(
			whatsappMessages('106', { waId: '9055' }, [
				{
					id: 'w',
					type: 'document',
					document: { id: 'doc-1', mime_type: 'application/pdf', filename: 'tahlil.pdf', caption: 'Sonuçlar' }
				}
			])
		);
		expect(event).toMatchObject({
			messageType: 'document',
			text: 'Sonuçlar',
			media: { providerMediaId: 'doc-1', mime: 'application/pdf', filename: 'tahlil.pdf' }
		});
	});

	it('statuses: failed carries the error code and title; unknown statuses are skipped', () => {
		expect(parse(whatsappStatus('106', 'wamid.out', 'failed', { code: 131026, title: 'Message undeliverable' }))).toEqual([
			{
				type: 'status',
				provider: 'whatsapp',
				accountId: '106',
				messageId: 'wamid.out',
				status: 'failed',
				error: { code: '131026', message: 'Message undeliverable' }
			}
		]);
		const deleted = whatsappStatus('106', 'wamid.out', 'read');
		(deleted.entry as { changes: { value: { statuses: { status: string }[] } }[] }[])[0].changes[0].value.statuses[0].status =
			'deleted';
		expect(parse(deleted)).toEqual([]);
	});

	it('Instagram: read receipts and reactions; echoes produce nothing', () => {
		const events = parse(
			instagramMessaging('178', [
				{ sender: { id: '64' }, recipient: { id: '178' }, timestamp: 1732611200000, read: { mid: 'm_ours' } },
				{
					sender: { id: '64' },
					recipient: { id: '178' },
					timestamp: 1732611200001,
					reaction: { mid: 'm_ours', action: 'react', reaction: 'love', emoji: '❤️' }
				},
				{
					sender: { id: '178' },
					recipient: { id: '64' },
					timestamp: 1732611200002,
					message: { mid: 'm_echo', text: 'x', is_echo: true }
				}
			])
		);
		expect(events).toEqual([
			{ type: 'status', provider: 'instagram', accountId: '178', messageId: 'm_ours', status: 'read' },
			expect.objectContaining({
				type: 'message',
				messageType: 'reaction',
				text: '❤️',
				messageId: 'reaction:m_ours:64:1732611200001'
			})
		]);
	});

	it('CHAN-META-SHAPE-1: a messages change of another shape is malformed', () => {
		const bad = {
			object: 'whatsapp_business_account',
			entry: [{ id: '1', changes: [{ field: 'messages', value: { messages: [] } }] }]
		};
		expect(() => parseMetaPayload(metaPayload.parse(bad))).toThrow(MalformedPayload);
		const otherField = {
			object: 'whatsapp_business_account',
			entry: [{ id: '1', changes: [{ field: 'account_update', value: { x: 1 } }] }]
		};
		expect(parseMetaPayload(metaPayload.parse(otherField))).toEqual([]);
	});
});

describe('CHAN-MEDIA-5: which attachment addresses may be fetched', () => {
	it.each([
		['https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1', true],
		['https://scontent-ist1-1.cdninstagram.com/v/t51/abc.jpg', true],
		['https://video.xx.fbcdn.net/v/a.mp4', true],
		['https://graph.example/files/1', true],
		['http://lookaside.fbsbx.com/ig_messaging_cdn/', false],
		['https://evilfbsbx.com/x', false],
		['https://fbsbx.com.evil.example/x', false],
		['https://user:pw@lookaside.fbsbx.com/x', false],
		['http://169.254.169.254/latest/meta-data/', false],
		['not a url', false]
	])('%s → %s', (url, allowed) => {
		expect(isMetaFileUrl(url, 'https://graph.example')).toBe(allowed);
	});
});
