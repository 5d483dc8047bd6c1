import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { listThreadSummaries } from '../../src/lib/domain/inbox.ts';
import { readEntries, type ThreadEntry } from '../../src/lib/domain/thread.ts';
import { startClinicServer, type ClinicServer } from '../helpers/clinic.ts';
import { connectProvider, login, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import {
	FakeMeta,
	IG_ACCOUNT_ID,
	IG_TOKEN,
	instagramMessaging,
	META_SECRET,
	PHONE_NUMBER_ID,
	WA_TOKEN,
	metaEnv,
	metaJson,
	postMeta,
	whatsappMessages
} from '../helpers/fakeMeta.ts';
import { admin, createClinic, createUser, ServerProcess } from '../helpers/server.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const undo of cleanup.splice(0).reverse()) await undo();
});

async function setup(extra: Record<string, string> = {}): Promise<ClinicServer & { fake: FakeMeta }> {
	const fake = await FakeMeta.start();
	cleanup.push(() => fake.close());
	const s = { ...(await startClinicServer('reception', metaEnv(fake, extra))), fake };
	// The server of the moment: a test may restart it.
	cleanup.push(() => s.server.stop('SIGKILL'));
	const wa = await admin(s.env, [
		'connect-whatsapp',
		'--clinic',
		s.clinic,
		'--phone-number-id',
		PHONE_NUMBER_ID,
		'--access-token',
		WA_TOKEN
	]);
	expect(wa.code, wa.stderr).toBe(0);
	return s;
}

async function openDoc(s: ClinicServer, docName: string): Promise<Y.Doc> {
	const provider = connectProvider(s.server.wsUrl, docName, { cookie: s.cookie, origin: s.server.url });
	cleanup.push(async () => provider.destroy());
	await withTimeout(whenSynced(provider), 5000, `sync ${docName}`);
	return provider.doc;
}

async function deliver(s: ClinicServer, message: Record<string, unknown>): Promise<void> {
	const raw = metaJson(whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567' }, [message]));
	expect((await postMeta(s.server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
}

/** The first entry of the only thread, once `ready` holds for it. */
async function entryWhen(s: ClinicServer, ready: (e: ThreadEntry) => boolean): Promise<ThreadEntry> {
	// The server writes a journaled message just after answering: wait for its thread as a device would.
	const inbox = await openDoc(s, `${s.clinic}/inbox`);
	await withTimeout(
		whenDoc(inbox, (d) => listThreadSummaries(d).length > 0),
		10_000,
		'a thread'
	);
	const [summary] = listThreadSummaries(inbox);
	const doc = await openDoc(s, `${s.clinic}/thread/${summary.id}`);
	await withTimeout(
		whenDoc(doc, (d) => readEntries(d).some(ready)),
		10_000,
		'media settled'
	);
	return readEntries(doc).find(ready)!;
}

describe('CHAN-MEDIA-1..4: media are fetched with the clinic token, bounded, sealed, and served only to its staff', () => {
	it('an image: fetched through the Graph API, stored encrypted, served with its type to the clinic only', async () => {
		const s = await setup();
		const marker = randomBytes(32);
		const image = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), marker, randomBytes(4096)]);
		s.fake.addMedia('1037543291543636', image, 'image/jpeg', WA_TOKEN);
		await deliver(s, {
			id: 'wamid.img',
			type: 'image',
			image: { id: '1037543291543636', mime_type: 'image/jpeg', sha256: 'x', caption: 'Röntgen' }
		});
		const entry = await entryWhen(s, (e) => e.media?.mediaId != null);
		expect(entry).toMatchObject({ messageType: 'image', text: 'Röntgen', media: { mime: 'image/jpeg', bytes: image.length } });
		expect(s.fake.requests.filter((r) => r.method === 'GET').map((r) => [r.path, r.authorization])).toEqual([
			['/v21.0/1037543291543636', `Bearer ${WA_TOKEN}`],
			['/files/1037543291543636', `Bearer ${WA_TOKEN}`]
		]);

		const url = `${s.server.url}/media/${entry.media!.mediaId}`;
		const res = await fetch(url, { headers: { cookie: s.cookie } });
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('image/jpeg');
		expect(res.headers.get('x-content-type-options')).toBe('nosniff');
		expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="/);
		expect(res.headers.get('cache-control')).toMatch(/^private/);
		expect(Buffer.from(await res.arrayBuffer()).equals(image)).toBe(true);

		// Not to anyone else: no session, another clinic's staff, an unknown id — all the same 404.
		expect((await fetch(url)).status).toBe(404);
		const otherClinic = await createClinic(s.env, 'Other clinic');
		const other = await createUser(s.env, otherClinic, 'admin');
		const otherCookie = await login(s.server.url, other.email, other.password);
		expect((await fetch(url, { headers: { cookie: otherCookie } })).status).toBe(404);
		expect((await fetch(`${s.server.url}/media/00000000000000000000`, { headers: { cookie: s.cookie } })).status).toBe(404);

		// Sealed at rest: the file's bytes are nowhere in the data folder.
		const files = fs.readdirSync(s.env.DATA_DIR).filter((f) => f.startsWith('frontdesk.db'));
		for (const f of files) expect(fs.readFileSync(path.join(s.env.DATA_DIR, f)).includes(marker), f).toBe(false);
	});

	it('a document keeps its file name in the thread, and the name is nowhere in plaintext on disk', async () => {
		const s = await setup();
		s.fake.addMedia('777', Buffer.from('%PDF-1.4 test'), 'application/pdf', WA_TOKEN);
		const filename = 'Zeynep_Kalaycioglu_rontgen_raporu.pdf';
		await deliver(s, { id: 'wamid.doc', type: 'document', document: { id: '777', mime_type: 'application/pdf', filename } });
		const entry = await entryWhen(s, (e) => e.media?.mediaId != null);
		expect(entry.media).toMatchObject({ mime: 'application/pdf', filename });
		const res = await fetch(`${s.server.url}/media/${entry.media!.mediaId}`, { headers: { cookie: s.cookie } });
		expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="/);
		expect(res.headers.get('content-disposition')).not.toContain('Kalaycioglu');
		const files = fs.readdirSync(s.env.DATA_DIR).filter((f) => f.startsWith('frontdesk.db'));
		for (const f of files) expect(fs.readFileSync(path.join(s.env.DATA_DIR, f)).includes('Kalaycioglu'), f).toBe(false);
	});

	it("past Meta's bound for the type (image 5 MB): refused, the entry records the error, the message stays", async () => {
		const s = await setup();
		s.fake.addMedia('555', Buffer.alloc(1024), 'image/png', WA_TOKEN, 6 * 1024 * 1024);
		await deliver(s, { id: 'wamid.big', type: 'image', image: { id: '555', mime_type: 'image/png' } });
		const entry = await entryWhen(s, (e) => e.error !== null);
		expect(entry).toMatchObject({ messageType: 'image', media: null, error: { code: 'media_too_large' } });
		expect(s.fake.requests.some((r) => r.path === '/files/555')).toBe(false);
	});
});

describe('CHAN-MEDIA-5: an Instagram attachment is fetched from its CDN URL, never with the token, never elsewhere', () => {
	async function instagram(s: ClinicServer & { fake: FakeMeta }, mid: string, url: string): Promise<void> {
		const connected = await admin(s.env, [
			'connect-instagram',
			'--clinic',
			s.clinic,
			'--account-id',
			IG_ACCOUNT_ID,
			'--access-token',
			IG_TOKEN
		]);
		expect(connected.code, connected.stderr).toBe(0);
		const raw = metaJson(
			instagramMessaging(IG_ACCOUNT_ID, [
				{
					sender: { id: '6452391124780' },
					recipient: { id: IG_ACCOUNT_ID },
					timestamp: Date.now(),
					message: { mid, attachments: [{ type: 'image', payload: { url } }] }
				}
			])
		);
		expect((await postMeta(s.server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
	}

	it('a photo: fetched without any token, sealed, served to the clinic; its URL is nowhere on disk', async () => {
		const s = await setup();
		const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2048)]);
		const url = s.fake.addCdnFile('ig-photo-4711', photo, 'image/jpeg');
		await instagram(s, 'aWdfIMG1', url);
		const entry = await entryWhen(s, (e) => e.media?.mediaId != null);
		expect(entry).toMatchObject({
			channel: 'instagram',
			messageType: 'image',
			media: { mime: 'image/jpeg', bytes: photo.length }
		});
		expect(s.fake.requests.filter((r) => r.path === '/cdn/ig-photo-4711').map((r) => r.authorization)).toEqual([undefined]);
		const res = await fetch(`${s.server.url}/media/${entry.media!.mediaId}`, { headers: { cookie: s.cookie } });
		expect(Buffer.from(await res.arrayBuffer()).equals(photo)).toBe(true);
		const files = fs.readdirSync(s.env.DATA_DIR).filter((f) => f.startsWith('frontdesk.db'));
		for (const f of files) expect(fs.readFileSync(path.join(s.env.DATA_DIR, f)).includes('ig-photo-4711'), f).toBe(false);
	});

	it('an address outside Meta is refused: nothing fetched, the entry records why, the message stays', async () => {
		const s = await setup();
		await instagram(s, 'aWdfIMG2', 'http://169.254.169.254/latest/meta-data/');
		const entry = await entryWhen(s, (e) => e.error !== null);
		expect(entry).toMatchObject({ messageType: 'image', media: null, error: { code: 'media_url_refused' } });
	});
});

describe('CHAN-MEDIA-1: a fetch a crash interrupted is done after the restart', () => {
	it('SIGKILL while the Graph API has the media lookup: after the restart the image is fetched and filled in', async () => {
		const s = await setup();
		const image = randomBytes(2048);
		s.fake.addMedia('777', image, 'image/jpeg', WA_TOKEN);
		const looked = s.fake.holdNextMediaLookup();
		await deliver(s, { id: 'wamid.crashmedia', type: 'image', image: { id: '777', mime_type: 'image/jpeg' } });
		await withTimeout(looked, 10_000, 'media lookup started');
		await s.server.stop('SIGKILL');
		s.fake.releaseHeld();
		s.server = await ServerProcess.start(s.env, s.server.port);
		const entry = await entryWhen(s, (e) => e.media?.mediaId != null);
		const res = await fetch(`${s.server.url}/media/${entry.media!.mediaId}`, { headers: { cookie: s.cookie } });
		expect(Buffer.from(await res.arrayBuffer()).equals(image)).toBe(true);
	});
});

/** Posts with `Expect: 100-continue`; resolves whether the server said "continue", and its final status. */
function postExpectingContinue(url: string, body: Buffer): Promise<{ continued: boolean; status: number }> {
	return new Promise((resolve, reject) => {
		let continued = false;
		const req = http.request(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' }
		});
		req.on('continue', () => {
			continued = true;
			req.end(body);
		});
		req.on('response', (res) => {
			res.resume();
			resolve({ continued, status: res.statusCode ?? 0 });
			if (!continued) req.destroy();
		});
		req.on('error', reject);
	});
}

describe('CHAN-HTTP-1: webhook bodies are bounded before they are read', () => {
	it('with Expect: 100-continue a webhook body within its own bound (above the API bound) is let in', async () => {
		const s = await setup();
		const body = Buffer.alloc(100 * 1024, 0x20);
		// Unsigned, so 401 once read; the point is that it was let in although it is over HTTP_MAX_BODY_BYTES (64 KiB).
		expect(await postExpectingContinue(`${s.server.url}/webhooks/meta`, body)).toEqual({ continued: true, status: 401 });
		expect(await postExpectingContinue(`${s.server.url}/webhooks/meta`, Buffer.alloc(300 * 1024, 0x20))).toEqual({
			continued: false,
			status: 413
		});
	});

	it('a body past WEBHOOK_MAX_BODY_BYTES gets 413 and nothing is stored', async () => {
		const s = await setup({ WEBHOOK_MAX_BODY_BYTES: '2048' });
		const raw = metaJson(
			whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567' }, [
				{ id: 'wamid.huge', type: 'text', text: { body: 'x'.repeat(4000) } }
			])
		);
		expect((await postMeta(s.server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(413);
		expect(listThreadSummaries(await openDoc(s, `${s.clinic}/inbox`))).toEqual([]);
	});
});
