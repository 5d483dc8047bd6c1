import Database from 'better-sqlite3';
import path from 'node:path';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { listContacts } from '../../src/lib/domain/contacts.ts';
import { listThreadSummaries } from '../../src/lib/domain/inbox.ts';
import { readEntries, type ThreadEntry } from '../../src/lib/domain/thread.ts';
import { startClinicServer, type ClinicServer } from '../helpers/clinic.ts';
import { connectProvider, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import {
	FakeMeta,
	IG_ACCOUNT_ID,
	IG_TOKEN,
	META_SECRET,
	META_VERIFY_TOKEN,
	PHONE_NUMBER_ID,
	WA_TOKEN,
	instagramMessaging,
	metaEnv,
	metaJson,
	postMeta,
	whatsappMessages
} from '../helpers/fakeMeta.ts';
import { admin } from '../helpers/server.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const undo of cleanup.splice(0).reverse()) await undo();
});

async function setup(): Promise<ClinicServer & { fake: FakeMeta }> {
	const fake = await FakeMeta.start();
	cleanup.push(() => fake.close());
	const started = await startClinicServer('reception', metaEnv(fake));
	cleanup.push(() => started.server.stop('SIGKILL'));
	const wa = await admin(
		started.env,
		['connect-whatsapp', '--clinic', started.clinic, '--phone-number-id', PHONE_NUMBER_ID],
		WA_TOKEN
	);
	expect(wa.code, wa.stderr).toBe(0);
	const ig = await admin(started.env, [
		'connect-instagram',
		'--clinic',
		started.clinic,
		'--account-id',
		IG_ACCOUNT_ID,
		'--access-token',
		IG_TOKEN
	]);
	expect(ig.code, ig.stderr).toBe(0);
	return { ...started, fake };
}

/** A doc as a signed-in device sees it once synced. */
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

/** Counts rows of the server's store, read-only beside the running server (WAL). */
function storeCounts(s: ClinicServer): { records: number; inbound: number; journaled: number } {
	const db = new Database(path.join(s.env.DATA_DIR, 'frontdesk.db'), { readonly: true, fileMustExist: true });
	try {
		const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
		return {
			records: one('SELECT count(*) AS n FROM doc_records'),
			inbound: one('SELECT count(*) AS n FROM channel_inbound'),
			journaled: one('SELECT count(*) AS n FROM inbound_journal')
		};
	} finally {
		db.close();
	}
}

const sign = (raw: string) => metaSignature(raw, META_SECRET);

/** The only thread's entries, once it holds `count` of them. */
async function threadEntries(s: ClinicServer, count: number): Promise<ThreadEntry[]> {
	const inbox = await docWhen(s, `${s.clinic}/inbox`, (d) => listThreadSummaries(d).length > 0, 'a thread');
	const [summary] = listThreadSummaries(inbox);
	const thread = await docWhen(s, `${s.clinic}/thread/${summary.id}`, (d) => readEntries(d).length >= count, `${count} entries`);
	return readEntries(thread);
}

describe('CHAN-META-VERIFY-1: the subscription handshake', () => {
	it('echoes hub.challenge for the right verify token, 403 otherwise', async () => {
		const s = await setup();
		const url = (token: string, mode = 'subscribe') =>
			`${s.server.url}/webhooks/meta?hub.mode=${mode}&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`;
		const ok = await fetch(url(META_VERIFY_TOKEN));
		expect(ok.status).toBe(200);
		expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
		expect(await ok.text()).toBe('1158201444');
		expect((await fetch(url('wrong-token'))).status).toBe(403);
		expect((await fetch(url(META_VERIFY_TOKEN, 'unsubscribe'))).status).toBe(403);
		expect((await fetch(`${s.server.url}/webhooks/meta`)).status).toBe(403);
	});
});

describe('CHAN-META-SIG-1: the signature is checked over the raw bytes before anything is read', () => {
	it('missing, wrong and stale signatures get 401 and store nothing', async () => {
		const s = await setup();
		const before = storeCounts(s);
		const raw = metaJson(
			whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567' }, [{ id: 'wamid.sig1', type: 'text', text: { body: 'Merhaba' } }])
		);
		expect((await postMeta(s.server.url, raw, null)).status).toBe(401);
		expect((await postMeta(s.server.url, raw, 'sha256=' + '0'.repeat(64))).status).toBe(401);
		expect((await postMeta(s.server.url, raw, metaSignature(raw, 'another-app-secret'))).status).toBe(401);
		// Stale: a signature of an earlier body, replayed with a changed one.
		const earlier = raw.replace('Merhaba', 'Merhabalar');
		expect((await postMeta(s.server.url, raw, sign(earlier))).status).toBe(401);
		expect((await postMeta(s.server.url, raw, 'sha1=' + sign(raw).slice(7))).status).toBe(401);
		expect(storeCounts(s)).toEqual(before);
		expect(listContacts(await openDoc(s, `${s.clinic}/contacts`))).toEqual([]);
	});
});

describe('CHAN-META-SHAPE-1: a signed payload of an undocumented shape is 400', () => {
	it('bad JSON and wrong shapes are refused, nothing stored', async () => {
		const s = await setup();
		const before = storeCounts(s);
		for (const raw of [
			'{"object":',
			metaJson({ object: 'page', entry: [] }),
			metaJson({
				object: 'whatsapp_business_account',
				entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: {} } }] }]
			}),
			metaJson(whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567' }, [{ id: 'wamid.x', type: 'image' }]))
		]) {
			expect((await postMeta(s.server.url, raw, sign(raw))).status, raw).toBe(400);
		}
		expect(storeCounts(s)).toEqual(before);
	});
});

describe('CHAN-META-ACCOUNT-1: an event for an account nobody connected', () => {
	it('is answered 200 (so Meta stops retrying) and stores nothing', async () => {
		const s = await setup();
		const before = storeCounts(s);
		const raw = metaJson(
			whatsappMessages('999999999999', { waId: '905321234567' }, [{ id: 'wamid.unknown', type: 'text', text: { body: 'hi' } }])
		);
		expect((await postMeta(s.server.url, raw, sign(raw))).status).toBe(200);
		const ig = metaJson(
			instagramMessaging('1234567', [
				{ sender: { id: '555' }, recipient: { id: '1234567' }, timestamp: 1732611200000, message: { mid: 'm1', text: 'hi' } }
			])
		);
		expect((await postMeta(s.server.url, ig, sign(ig))).status).toBe(200);
		expect(storeCounts(s)).toEqual(before);
		// The log line may arrive after the answer it came before (another pipe): wait for it, then check it.
		await withTimeout(
			s.server.logged((l) => l.includes('event for an unknown account')),
			5000,
			'the warning'
		);
		expect(
			s.server.logs.filter((l) => l.includes('event for an unknown account')).every((l) => !l.includes('905321234567'))
		).toBe(true);
	});
});

describe('CHAN-META-TYPES-1: every documented inbound type becomes an entry', () => {
	it('text (non-ASCII escaped), media, location, contacts, replies, reactions and unknown types', async () => {
		const s = await setup();
		const messages = [
			{ id: 'wamid.t1', type: 'text', text: { body: 'Merhaba, yarın randevum var mı? Çok teşekkürler 😊' } },
			{
				id: 'wamid.t2',
				type: 'location',
				location: { latitude: 41.0082, longitude: 28.9784, name: 'Kadıköy', address: 'İstanbul' }
			},
			{
				id: 'wamid.t3',
				type: 'contacts',
				contacts: [{ name: { formatted_name: 'Ayşe Yılmaz' }, phones: [{ phone: '+90 532 765 43 21', wa_id: '905327654321' }] }]
			},
			{
				id: 'wamid.t4',
				type: 'interactive',
				interactive: { type: 'button_reply', button_reply: { id: 'confirm', title: 'Onaylıyorum' } }
			},
			{
				id: 'wamid.t5',
				type: 'interactive',
				interactive: { type: 'list_reply', list_reply: { id: 'slot-2', title: 'Salı 10:00', description: 'Dr. Öz' } }
			},
			{ id: 'wamid.t6', type: 'button', button: { payload: 'CANCEL', text: 'İptal' } },
			{ id: 'wamid.t7', type: 'reaction', reaction: { message_id: 'wamid.ours', emoji: '👍' } },
			{ id: 'wamid.t8', type: 'sticker', sticker: { id: 'st-1', mime_type: 'image/webp', animated: false } },
			{ id: 'wamid.t9', type: 'order', order: { catalog_id: '1' } },
			{ id: 'wamid.t10', type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown' }] }
		];
		// The sticker's file, so its fetch in the background succeeds whenever it runs.
		s.fake.addMedia('st-1', Buffer.from('RIFF0000WEBPVP8 '), 'image/webp', WA_TOKEN);
		const raw = metaJson(whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567', name: 'Şule Güneş' }, messages));
		expect(raw).toContain('\\u0131');
		expect((await postMeta(s.server.url, raw, sign(raw))).status).toBe(200);
		const entries = await threadEntries(s, 10);
		const byId = new Map(entries.map((e) => [e.providerMessageId, e]));
		expect(byId.get('wamid.t1')).toMatchObject({
			messageType: 'text',
			text: 'Merhaba, yarın randevum var mı? Çok teşekkürler 😊',
			direction: 'in',
			status: 'received'
		});
		expect(byId.get('wamid.t2')?.details.location).toMatchObject({ latitude: 41.0082, name: 'Kadıköy' });
		expect(byId.get('wamid.t3')?.details.contacts).toEqual([{ name: 'Ayşe Yılmaz', phones: ['+90 532 765 43 21'] }]);
		expect(byId.get('wamid.t4')).toMatchObject({ messageType: 'interactive', text: 'Onaylıyorum' });
		expect(byId.get('wamid.t5')).toMatchObject({ messageType: 'interactive', text: 'Salı 10:00' });
		expect(byId.get('wamid.t6')).toMatchObject({ messageType: 'button', text: 'İptal' });
		expect(byId.get('wamid.t7')).toMatchObject({
			messageType: 'reaction',
			text: '👍',
			details: { reaction: { to: 'wamid.ours', emoji: '👍' } }
		});
		expect(byId.get('wamid.t8')).toMatchObject({ messageType: 'sticker', media: { mime: 'image/webp' } });
		expect(byId.get('wamid.t9')?.messageType).toBe('unsupported:order');
		expect(byId.get('wamid.t10')?.messageType).toBe('unsupported:unsupported');
		const contacts = listContacts(await openDoc(s, `${s.clinic}/contacts`));
		expect(contacts).toHaveLength(1);
		expect(contacts[0]).toMatchObject({
			name: 'Şule Güneş',
			phones: ['+905321234567'],
			identities: [{ channel: 'whatsapp', id: '905321234567' }]
		});
		const [summary] = listThreadSummaries(await openDoc(s, `${s.clinic}/inbox`));
		expect(summary).toMatchObject({ channel: 'whatsapp', inboundCount: 10, contactId: contacts[0].id });
	});

	it('Instagram Direct: text and attachments in, echoes of our own sends ignored, clinic from the recipient', async () => {
		const s = await setup();
		const raw = metaJson(
			instagramMessaging(IG_ACCOUNT_ID, [
				{
					sender: { id: '6452391124780' },
					recipient: { id: IG_ACCOUNT_ID },
					timestamp: 1732611200000,
					message: { mid: 'aWdfZAG1', text: 'Fiyatlar nedir? 🙏' }
				},
				{
					sender: { id: '6452391124780' },
					recipient: { id: IG_ACCOUNT_ID },
					timestamp: 1732611201000,
					message: {
						mid: 'aWdfZAG2',
						attachments: [{ type: 'image', payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' } }]
					}
				},
				{
					sender: { id: IG_ACCOUNT_ID },
					recipient: { id: '6452391124780' },
					timestamp: 1732611202000,
					message: { mid: 'aWdfZAG3', text: 'echo', is_echo: true }
				}
			])
		);
		expect((await postMeta(s.server.url, raw, sign(raw))).status).toBe(200);
		const entries = await threadEntries(s, 2);
		expect(entries.map((e) => [e.providerMessageId, e.messageType, e.text, e.channel])).toEqual([
			['aWdfZAG1', 'text', 'Fiyatlar nedir? 🙏', 'instagram'],
			['aWdfZAG2', 'image', '', 'instagram']
		]);
		const contacts = listContacts(await openDoc(s, `${s.clinic}/contacts`));
		expect(contacts[0].identities).toEqual([{ channel: 'instagram', id: '6452391124780' }]);
	});
});

describe('CHAN-DEDUPE-1: one provider message id makes one message', () => {
	it('a repeated delivery and concurrent deliveries of one id make one entry and count once', async () => {
		const s = await setup();
		const raw = metaJson(
			whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567' }, [{ id: 'wamid.dup', type: 'text', text: { body: 'Selam' } }])
		);
		expect((await postMeta(s.server.url, raw, sign(raw))).status).toBe(200);
		expect((await postMeta(s.server.url, raw, sign(raw))).status).toBe(200);
		const concurrent = metaJson(
			whatsappMessages(PHONE_NUMBER_ID, { waId: '905551112233' }, [
				{ id: 'wamid.concurrent', type: 'text', text: { body: 'Aynı anda' } }
			])
		);
		const answers = await Promise.all(Array.from({ length: 8 }, () => postMeta(s.server.url, concurrent, sign(concurrent))));
		expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
		// Once both are written (each id was journaled once: nothing more can come), each counts once.
		const inbox = await docWhen(s, `${s.clinic}/inbox`, (d) => listThreadSummaries(d).length === 2, 'two threads');
		const summaries = listThreadSummaries(inbox);
		for (const summary of summaries) {
			const thread = await docWhen(s, `${s.clinic}/thread/${summary.id}`, (d) => readEntries(d).length > 0, 'the entry');
			expect(readEntries(thread)).toHaveLength(1);
			expect(listThreadSummaries(inbox).find((t) => t.id === summary.id)?.inboundCount).toBe(1);
		}
		expect(listContacts(await openDoc(s, `${s.clinic}/contacts`))).toHaveLength(2);
		expect(storeCounts(s)).toMatchObject({ inbound: 2, journaled: 0 });
	});
});
