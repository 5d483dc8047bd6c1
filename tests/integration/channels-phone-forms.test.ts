import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { listContacts } from '../../src/lib/domain/contacts.ts';
import { listThreadSummaries } from '../../src/lib/domain/inbox.ts';
import { readEntries } from '../../src/lib/domain/thread.ts';
import { startClinicServer, type ClinicServer } from '../helpers/clinic.ts';
import { connectProvider, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import { FakeTwilio, TWILIO_AUTH_TOKEN, postVoice, voiceCallback } from '../helpers/fakeTwilio.ts';
import { admin } from '../helpers/server.ts';

const PUBLIC_ORIGIN = 'https://clinic.example.com';
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const undo of cleanup.splice(0).reverse()) await undo();
});

async function setup(extra: Record<string, string> = {}): Promise<ClinicServer & { twilio: FakeTwilio }> {
	const twilio = await FakeTwilio.start();
	cleanup.push(() => twilio.close());
	const s = await startClinicServer('reception', {
		TWILIO_AUTH_TOKEN,
		TWILIO_API_URL: twilio.url,
		PUBLIC_ORIGIN,
		FORM_REDIRECTS: 'https://clinic.example.com/thanks',
		...extra
	});
	cleanup.push(() => s.server.stop('SIGKILL'));
	const phone = await admin(s.env, ['connect-phone', '--clinic', s.clinic, '--number', '0216 123 45 67']);
	expect(phone.code, phone.stderr).toBe(0);
	expect(phone.json).toMatchObject({ clinicId: s.clinic, provider: 'phone', externalId: '+902161234567', hasToken: false });
	return { ...s, twilio };
}

async function openDoc(s: ClinicServer, docName: string): Promise<Y.Doc> {
	const provider = connectProvider(s.server.wsUrl, docName, { cookie: s.cookie, origin: s.server.url });
	cleanup.push(async () => provider.destroy());
	await withTimeout(whenSynced(provider), 5000, `sync ${docName}`);
	return provider.doc;
}

/** A doc as a device sees it once `ready` holds (the server writes journaled events just after answering). */
async function docWhen(s: ClinicServer, docName: string, ready: (doc: Y.Doc) => boolean, what: string): Promise<Y.Doc> {
	const doc = await openDoc(s, docName);
	await withTimeout(whenDoc(doc, ready), 5000, what);
	return doc;
}

/** The only thread, once it holds `count` entries and the inbox counted them. */
async function onlyThread(s: ClinicServer, count: number) {
	const inbox = await docWhen(s, `${s.clinic}/inbox`, (d) => (listThreadSummaries(d)[0]?.inboundCount ?? 0) >= count, 'counted');
	const summaries = listThreadSummaries(inbox);
	expect(summaries).toHaveLength(1);
	const doc = await docWhen(s, `${s.clinic}/thread/${summaries[0].id}`, (d) => readEntries(d).length >= count, 'entries');
	return { summary: summaries[0], doc };
}

const callSid = () => 'CA' + randomBytes(16).toString('hex');

describe('CHAN-TWILIO-SIG-1: voice callbacks are signed by Twilio', () => {
	it('a missing or wrong signature gets 403 and nothing is stored', async () => {
		const s = await setup();
		const params = voiceCallback(callSid(), { CallStatus: 'no-answer' });
		expect((await postVoice(s.server.url, PUBLIC_ORIGIN, params, { signature: null })).status).toBe(403);
		expect((await postVoice(s.server.url, PUBLIC_ORIGIN, params, { authToken: 'another-token-000000000000000000' })).status).toBe(
			403
		);
		// Signed for another address (the URL is part of what is signed).
		expect((await postVoice(s.server.url, 'https://evil.example.com', params)).status).toBe(403);
		expect(listThreadSummaries(await openDoc(s, `${s.clinic}/inbox`))).toEqual([]);
	});
});

describe("CHAN-TWILIO-CALL-1: calls become entries of the caller's thread", () => {
	it('answered (with duration), missed (highlighted, a call-back task) and the same callback twice', async () => {
		const s = await setup();
		const answered = voiceCallback(callSid(), { CallStatus: 'completed', CallDuration: '125' });
		const res = await postVoice(s.server.url, PUBLIC_ORIGIN, answered);
		expect(res).toMatchObject({ status: 200, type: 'text/xml' });
		expect(res.body).toContain('<Response/>');
		const missed = voiceCallback(callSid(), { CallStatus: 'no-answer', From: '0532 123 45 67' });
		expect((await postVoice(s.server.url, PUBLIC_ORIGIN, missed)).status).toBe(200);
		expect((await postVoice(s.server.url, PUBLIC_ORIGIN, missed)).status).toBe(200);
		const { summary, doc } = await onlyThread(s, 2);
		expect(summary).toMatchObject({ channel: 'phone', missedCall: true, inboundCount: 2 });
		expect(readEntries(doc).map((e) => [e.kind, e.details.call, e.callbackDone])).toEqual([
			['call', { outcome: 'answered', durationSeconds: 125, from: '+905321234567' }, false],
			['call', { outcome: 'missed', durationSeconds: 0, from: '+905321234567' }, false]
		]);
		expect(listContacts(await openDoc(s, `${s.clinic}/contacts`)).map((c) => c.phones)).toEqual([['+905321234567']]);
	});

	it('a voicemail: the recording is fetched with basic auth and stored as media of the call', async () => {
		const s = await setup();
		const audio = randomBytes(2048);
		const recordingUrl = s.twilio.addRecording('RE' + randomBytes(16).toString('hex'), audio);
		const params = voiceCallback(callSid(), {
			CallStatus: 'completed',
			CallDuration: '30',
			RecordingUrl: recordingUrl,
			RecordingSid: 'RE1'
		});
		expect((await postVoice(s.server.url, PUBLIC_ORIGIN, params)).status).toBe(200);
		const { doc } = await onlyThread(s, 1);
		await withTimeout(
			whenDoc(doc, (d) => readEntries(d)[0]?.media?.mediaId != null),
			10_000,
			'recording stored'
		);
		const [call] = readEntries(doc);
		expect(call.details.call).toMatchObject({ outcome: 'voicemail' });
		const file = await fetch(`${s.server.url}/media/${call.media!.mediaId}`, { headers: { cookie: s.cookie } });
		expect(file.status).toBe(200);
		expect(Buffer.from(await file.arrayBuffer()).equals(audio)).toBe(true);
	});

	it('a call to a number no clinic connected is answered and forgotten', async () => {
		const s = await setup();
		const params = voiceCallback(callSid(), { CallStatus: 'busy', To: '+905559998877' });
		expect((await postVoice(s.server.url, PUBLIC_ORIGIN, params)).status).toBe(200);
		expect(listThreadSummaries(await openDoc(s, `${s.clinic}/inbox`))).toEqual([]);
	});
});

async function postForm(s: ClinicServer, body: string, type: string, clinic = s.clinic) {
	return fetch(`${s.server.url}/forms/${clinic}`, {
		method: 'POST',
		headers: { 'content-type': type },
		body,
		redirect: 'manual'
	});
}

describe("CHAN-FORM-1: website forms join or create the contact's thread", () => {
	it('JSON and url-encoded submissions; the same person joins one thread; an allowed redirect is followed', async () => {
		const s = await setup();
		const json = await postForm(
			s,
			JSON.stringify({
				kind: 'appointment_request',
				name: 'Zeynep Kaya',
				phone: '0532 111 22 33',
				message: 'Salı öğleden sonra?',
				preferredTime: 'Salı 14:00'
			}),
			'application/json'
		);
		expect(json.status).toBe(200);
		expect(await json.json()).toEqual({ ok: true });
		const form = await postForm(
			s,
			new URLSearchParams({
				name: 'Zeynep',
				phone: '+90 532 111 2233',
				email: 'zeynep@example.com',
				message: 'Bir de fiyat?',
				redirect: 'https://clinic.example.com/thanks'
			}).toString(),
			'application/x-www-form-urlencoded'
		);
		expect(form.status).toBe(303);
		expect(form.headers.get('location')).toBe('https://clinic.example.com/thanks');
		const elsewhere = await postForm(
			s,
			JSON.stringify({ email: 'a@example.com', redirect: 'https://evil.example.com/thanks' }),
			'application/json'
		);
		expect(elsewhere.status).toBe(200);
		const counted = (d: Y.Doc) => listThreadSummaries(d).reduce((n, t) => n + t.inboundCount, 0) === 3;
		const summaries = listThreadSummaries(await docWhen(s, `${s.clinic}/inbox`, counted, 'three forms'));
		expect(summaries).toHaveLength(2);
		const zeynep = listContacts(await openDoc(s, `${s.clinic}/contacts`)).find((c) => c.phones.includes('+905321112233'))!;
		expect(zeynep).toMatchObject({ name: 'Zeynep Kaya', emails: ['zeynep@example.com'] });
		const thread = summaries.find((t) => t.contactId === zeynep.id)!;
		expect(thread).toMatchObject({ channel: 'web', inboundCount: 2 });
		const entries = readEntries(
			await docWhen(s, `${s.clinic}/thread/${thread.id}`, (d) => readEntries(d).length === 2, 'two forms')
		);
		expect(entries.map((e) => [e.kind, e.text, e.details.fields])).toEqual([
			[
				'form',
				'Salı öğleden sonra?',
				{ kind: 'appointment_request', name: 'Zeynep Kaya', phone: '0532 111 22 33', preferredTime: 'Salı 14:00' }
			],
			['form', 'Bir de fiyat?', { kind: 'contact', name: 'Zeynep', phone: '+90 532 111 2233', email: 'zeynep@example.com' }]
		]);
	});

	it('CHAN-FORM-2: bad input gets 400 with the field, nothing stored; an unknown clinic 404', async () => {
		const s = await setup();
		const bad = await postForm(s, JSON.stringify({ name: 'Nobody', message: 'no way back' }), 'application/json');
		expect(bad.status).toBe(400);
		expect(await bad.json()).toMatchObject({ fields: { phone: ['a phone number or an email is needed'] } });
		expect((await postForm(s, JSON.stringify({ phone: '12' }), 'application/json')).status).toBe(400);
		expect((await postForm(s, '{"phone":', 'application/json')).status).toBe(400);
		expect((await postForm(s, JSON.stringify({ phone: '05321112233' }), 'application/json', 'nosuchclinic0000')).status).toBe(
			404
		);
		expect(listThreadSummaries(await openDoc(s, `${s.clinic}/inbox`))).toEqual([]);
	});

	it('CHAN-FORM-3: a filled honeypot is thanked and not stored', async () => {
		const s = await setup();
		const res = await postForm(s, JSON.stringify({ phone: '05321112233', website: 'http://spam.example' }), 'application/json');
		expect(res.status).toBe(200);
		expect(listThreadSummaries(await openDoc(s, `${s.clinic}/inbox`))).toEqual([]);
	});

	it('CHAN-FORM-4: one address past FORMS_PER_MINUTE gets 429; a body past FORM_MAX_BODY_BYTES 413', async () => {
		const s = await setup({ FORMS_PER_MINUTE: '2' });
		const body = JSON.stringify({ email: 'a@example.com' });
		expect((await postForm(s, body, 'application/json')).status).toBe(200);
		expect((await postForm(s, body, 'application/json')).status).toBe(200);
		const limited = await postForm(s, body, 'application/json');
		expect(limited.status).toBe(429);
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
		const s2 = await setup();
		const big = await postForm(s2, JSON.stringify({ email: 'a@example.com', message: 'x'.repeat(20_000) }), 'application/json');
		expect(big.status).toBe(413);
	});
});
