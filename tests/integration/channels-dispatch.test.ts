import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { addClosedDay } from '../../src/lib/domain/clinicSettings.ts';
import { listThreadSummaries } from '../../src/lib/domain/inbox.ts';
import { changeInboxRules, inboxRules } from '../../src/lib/domain/inboxRules.ts';
import { queueReply, readEntries, retryReply, type ThreadEntry } from '../../src/lib/domain/thread.ts';
import { startClinicServer, type ClinicServer } from '../helpers/clinic.ts';
import { connectProvider, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import {
	FakeMeta,
	GRAPH_ERRORS,
	META_SECRET,
	PHONE_NUMBER_ID,
	WA_TOKEN,
	metaEnv,
	metaJson,
	postMeta,
	whatsappMessages,
	whatsappStatus
} from '../helpers/fakeMeta.ts';
import { admin, ServerProcess } from '../helpers/server.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const undo of cleanup.splice(0).reverse()) await undo();
});

type Setup = ClinicServer & { fake: FakeMeta; threadDoc: string };

/** A clinic with WhatsApp connected and one patient who wrote in (so there is a thread to answer). */
async function setup(role: 'reception' | 'admin' = 'reception', firstMessage = true): Promise<Setup> {
	const fake = await FakeMeta.start();
	cleanup.push(() => fake.close());
	const started = await startClinicServer(role, metaEnv(fake));
	const s = { ...started, fake, threadDoc: '' };
	cleanup.push(() => s.server.stop('SIGKILL'));
	const wa = await admin(
		started.env,
		['connect-whatsapp', '--clinic', started.clinic, '--phone-number-id', PHONE_NUMBER_ID],
		WA_TOKEN
	);
	expect(wa.code, wa.stderr).toBe(0);
	if (!firstMessage) return s;
	await deliver(s, 'wamid.first', 'Merhaba');
	const inbox = await openDoc(s, `${s.clinic}/inbox`);
	await until(inbox, 'the first message written', (d) => listThreadSummaries(d).length > 0);
	s.threadDoc = `${s.clinic}/thread/${listThreadSummaries(inbox)[0].id}`;
	return s;
}

async function deliver(s: ClinicServer, wamid: string, body: string): Promise<void> {
	const raw = metaJson(
		whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567' }, [{ id: wamid, type: 'text', text: { body } }])
	);
	expect((await postMeta(s.server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
}

async function status(s: ClinicServer, wamid: string, value: 'sent' | 'delivered' | 'read'): Promise<void> {
	const raw = metaJson(whatsappStatus(PHONE_NUMBER_ID, wamid, value));
	expect((await postMeta(s.server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
}

function connect(s: ClinicServer, docName: string, doc?: Y.Doc) {
	const provider = connectProvider(s.server.wsUrl, docName, { cookie: s.cookie, origin: s.server.url, ...(doc ? { doc } : {}) });
	cleanup.push(async () => provider.destroy());
	return provider;
}

async function openDoc(s: ClinicServer, docName: string): Promise<Y.Doc> {
	const provider = connect(s, docName);
	await withTimeout(whenSynced(provider), 5000, `sync ${docName}`);
	return provider.doc;
}

const reply = (doc: Y.Doc, id: string): ThreadEntry | undefined => readEntries(doc).find((e) => e.id === id);

async function until(doc: Y.Doc, what: string, predicate: (doc: Y.Doc) => boolean): Promise<void> {
	await withTimeout(whenDoc(doc, predicate), 10_000, what);
}

describe('CHAN-DISPATCH-1: a queued reply is sent exactly once and its statuses move forward only', () => {
	it('CHAN-STATUS-1: sent with the provider id; sent → delivered → read; a late delivered does not move it back', async () => {
		const s = await setup();
		const doc = await openDoc(s, s.threadDoc);
		const id = queueReply(doc, { channel: 'whatsapp', text: 'Yarın 10:00 uygun, görüşmek üzere!', authorId: s.user.id });
		await until(doc, 'sent', (d) => reply(d, id)?.status === 'sent');
		expect(s.fake.sends).toHaveLength(1);
		const [send] = s.fake.sends;
		expect(send.path).toBe(`/v21.0/${PHONE_NUMBER_ID}/messages`);
		expect(send.authorization).toBe(`Bearer ${WA_TOKEN}`);
		expect(send.body).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: '905321234567',
			type: 'text',
			text: { body: 'Yarın 10:00 uygun, görüşmek üzere!' }
		});
		const wamid = reply(doc, id)!.providerMessageId!;
		expect(wamid).toMatch(/^wamid\./);
		await status(s, wamid, 'sent');
		await status(s, wamid, 'delivered');
		await until(doc, 'delivered', (d) => reply(d, id)?.status === 'delivered');
		await status(s, wamid, 'read');
		await until(doc, 'read', (d) => reply(d, id)?.status === 'read');
		await status(s, wamid, 'delivered');
		// The late status was stored (its webhook answered 200) and changed nothing.
		expect(reply(doc, id)?.status).toBe('read');
		expect(s.fake.sends).toHaveLength(1);
	});

	it('a template goes out as type template with its body parameters', async () => {
		const s = await setup();
		const doc = await openDoc(s, s.threadDoc);
		const id = queueReply(doc, {
			channel: 'whatsapp',
			text: '',
			authorId: s.user.id,
			template: { name: 'appointment_reminder', language: 'tr', params: ['Şule', '10:00'] }
		});
		await until(doc, 'sent', (d) => reply(d, id)?.status === 'sent');
		expect(s.fake.sends.map((r) => r.body)).toEqual([
			{
				messaging_product: 'whatsapp',
				to: '905321234567',
				type: 'template',
				template: {
					name: 'appointment_reminder',
					language: { code: 'tr' },
					components: [
						{
							type: 'body',
							parameters: [
								{ type: 'text', text: 'Şule' },
								{ type: 'text', text: '10:00' }
							]
						}
					]
				}
			}
		]);
	});
});

describe('CHAN-DISPATCH-2: a send the provider refuses shows as failed with its code and reason', () => {
	it('131047 (outside the 24-hour window) → failed; staff retry → a new attempt, sent once', async () => {
		const s = await setup();
		s.fake.failNext(GRAPH_ERRORS.reEngagement);
		const doc = await openDoc(s, s.threadDoc);
		const id = queueReply(doc, { channel: 'whatsapp', text: 'Merhaba', authorId: s.user.id });
		await until(doc, 'failed', (d) => reply(d, id)?.status === 'failed');
		expect(reply(doc, id)?.error).toEqual({ code: '131047', message: GRAPH_ERRORS.reEngagement.message });
		retryReply(doc, id);
		await until(doc, 'sent after retry', (d) => reply(d, id)?.status === 'sent');
		expect(reply(doc, id)?.attempt).toBe(2);
		expect(s.fake.sends).toHaveLength(2);
	});

	it('CHAN-DISPATCH-4: 130429 (rate limit) is not a failure: the same attempt is sent again later', async () => {
		const s = await setup();
		s.fake.failNext(GRAPH_ERRORS.rateLimit);
		const doc = await openDoc(s, s.threadDoc);
		const id = queueReply(doc, { channel: 'whatsapp', text: 'Merhaba', authorId: s.user.id });
		await until(doc, 'sent after the back-off', (d) => reply(d, id)?.status === 'sent');
		expect(reply(doc, id)?.attempt).toBe(1);
		expect(s.fake.sends).toHaveLength(2);
	});
});

describe('CHAN-DISPATCH-3: replies written offline are sent once the server has them', () => {
	it('queued by a real y-websocket client while the server is down: exactly one send, also after another restart', async () => {
		const s = await setup();
		// The device has the thread, then the server goes away.
		const device = new Y.Doc();
		const first = connect(s, s.threadDoc, device);
		await withTimeout(whenSynced(first), 5000, 'first sync');
		first.destroy();
		await s.server.stop('SIGKILL');
		const id = queueReply(device, { channel: 'whatsapp', text: 'Çevrimdışı yazıldı', authorId: s.user.id });
		s.server = await ServerProcess.start(s.env, s.server.port);
		connect(s, s.threadDoc, device);
		await until(device, 'sent after reconnect', (d) => reply(d, id)?.status === 'sent');
		expect(s.fake.sends).toHaveLength(1);
		await s.server.stop('SIGKILL');
		s.server = await ServerProcess.start(s.env, s.server.port);
		const again = await openDoc(s, s.threadDoc);
		expect(reply(again, id)?.status).toBe('sent');
		await s.fake.whenSends(1);
		expect(s.fake.sends).toHaveLength(1);
	});
});

describe('CHAN-DISPATCH-5: a send interrupted by a crash is never sent again on its own', () => {
	it('SIGKILL while the provider has the request: after restart the reply is failed "may not have been sent"', async () => {
		const s = await setup();
		s.fake.holdNext();
		const doc = await openDoc(s, s.threadDoc);
		const id = queueReply(doc, { channel: 'whatsapp', text: 'Belki gitti', authorId: s.user.id });
		await withTimeout(s.fake.whenSends(1), 10_000, 'the send reached the provider');
		await s.server.stop('SIGKILL');
		s.fake.releaseHeld();
		s.server = await ServerProcess.start(s.env, s.server.port);
		const after = await openDoc(s, s.threadDoc);
		await until(after, 'failed as unknown', (d) => reply(d, id)?.status === 'failed');
		expect(reply(after, id)?.error).toEqual({
			code: 'unknown_outcome',
			message: 'may not have been sent; check before retrying'
		});
		expect(s.fake.sends).toHaveLength(1);
	});
});

describe('CHAN-DEDUPE-2: a delivery around a SIGKILL makes exactly one message', () => {
	it('killed while answering, then Meta retries after the restart: one entry', async () => {
		const s = await setup();
		const raw = metaJson(
			whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567' }, [{ id: 'wamid.crash', type: 'text', text: { body: 'Kaza' } }])
		);
		// Killed as the request arrives (whatever it had done by then), and again right after a 200.
		const inFlight = postMeta(s.server.url, raw, metaSignature(raw, META_SECRET)).catch(() => null);
		await s.server.stop('SIGKILL');
		await inFlight;
		s.server = await ServerProcess.start(s.env, s.server.port);
		expect((await postMeta(s.server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
		await s.server.stop('SIGKILL');
		s.server = await ServerProcess.start(s.env, s.server.port);
		expect((await postMeta(s.server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
		const thread = await openDoc(s, s.threadDoc);
		await until(thread, 'the message written', (d) => readEntries(d).some((e) => e.providerMessageId === 'wamid.crash'));
		expect(readEntries(thread).filter((e) => e.providerMessageId === 'wamid.crash')).toHaveLength(1);
		const [summary] = listThreadSummaries(await openDoc(s, `${s.clinic}/inbox`));
		expect(summary.inboundCount).toBe(2);
	});
});

describe("CHAN-AUTO-1: the clinic's automation hears of each inbound message once it is durable", () => {
	it('outside business hours the away message is queued by the automation and sent once by the dispatcher', async () => {
		const s = await setup('admin', false);
		const directory = await openDoc(s, `${s.clinic}/directory`);
		changeInboxRules(directory, { awayMessage: true, awayText: 'Şu an kapalıyız, yarın döneceğiz.' });
		// The message's day (whatsappMessages stamps 2024-11-26) is a holiday.
		addClosedDay(directory, { date: '2024-11-26', label: 'Tatil' });
		const check = await openDoc(s, `${s.clinic}/directory`);
		await until(check, 'rules stored', (d) => inboxRules(d).awayMessage);
		await deliver(s, 'wamid.closed', 'Açık mısınız?');
		await withTimeout(s.fake.whenSends(1), 10_000, 'away message sent');
		expect(s.fake.sends.map((r) => (r.body as { text?: { body: string } }).text?.body)).toEqual([
			'Şu an kapalıyız, yarın döneceğiz.'
		]);
		const [summary] = listThreadSummaries(await openDoc(s, `${s.clinic}/inbox`));
		const thread = await openDoc(s, `${s.clinic}/thread/${summary.id}`);
		await until(thread, 'away message sent', (d) => readEntries(d).some((e) => e.direction === 'out' && e.status === 'sent'));
		await deliver(s, 'wamid.closed2', 'Kimse yok mu?');
		expect(readEntries(thread).filter((e) => e.direction === 'out')).toHaveLength(1);
		expect(s.fake.sends).toHaveLength(1);
	});
});
