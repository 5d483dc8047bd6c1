import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { addTemplate } from '../../src/lib/domain/cannedReplies.ts';
import { createContact, listContacts } from '../../src/lib/domain/contacts.ts';
import { DEFAULT_TIME_ZONE } from '../../src/lib/domain/clinicSettings.ts';
import { addPractitioner } from '../../src/lib/domain/directory.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import { listThreadSummaries, openThread, readThreadSummary, recordActivity } from '../../src/lib/domain/inbox.ts';
import { appendCall, appendEvent, appendForm, appendInbound, readEntries } from '../../src/lib/domain/thread.ts';
import { launchChromium, signIn } from '../helpers/browser.ts';
import { login as apiLogin, connectProvider, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
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
import { CuttableProxy } from '../helpers/proxy.ts';
import { admin, createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// One WhatsApp conversation seeded as the server writes it (a signed webhook, then the domain's writes for calls,
// forms and the rest), open on a reception tablet (behind a proxy the test cuts) and an admin's desk at once.
let server: ServerProcess;
let proxy: CuttableProxy;
let fake: FakeMeta;
let browser: Browser;
let clinic: string;
let reception: TestUser;
let adminUser: TestUser;
let cookie: string;
let threadId: string;
let oldThreadId: string;
/** The clinic days the seeded thread's entries fall on: two, or three when the test runs in the clinic's first hour. */
let seededDays: number;
let tablet: { context: BrowserContext; page: Page };
let desk: { context: BrowserContext; page: Page };
const providers: WebsocketProvider[] = [];

const entry = (kind: string, text?: string) => `[data-testid="entry"][data-kind="${kind}"]${text ? `:has-text("${text}")` : ''}`;

async function held(name: string): Promise<Y.Doc> {
	const provider = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
	providers.push(provider);
	await withTimeout(whenSynced(provider), 15_000, name);
	return provider.doc;
}

async function seed(): Promise<void> {
	const raw = metaJson(
		whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567', name: 'İpek Şahin' }, [
			{
				id: 'wamid.thread.1',
				timestamp: String(Math.floor(Date.now() / 1000)),
				type: 'text',
				text: { body: 'Merhaba, implant için yazıyorum' }
			}
		])
	);
	expect((await postMeta(server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
	const inbox = await held(docNames.inbox(clinic));
	await withTimeout(
		whenDoc(inbox, (d) => listThreadSummaries(d).length === 1),
		15_000,
		'the webhook’s thread'
	);
	threadId = listThreadSummaries(inbox)[0].id;
	const thread = await held(docNames.thread(clinic, threadId));
	await withTimeout(
		whenDoc(thread, (d) => readEntries(d).length === 1),
		15_000,
		'the first message'
	);
	const at = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
	const inbound = (messageType: string, text: string, extra: Record<string, unknown> = {}) =>
		appendInbound(thread, {
			channel: 'whatsapp',
			at: at(50),
			messageType,
			text,
			providerMessageId: `wamid.seed.${messageType}`,
			...extra
		});
	inbound('image', 'Röntgenim', { media: { mediaId: null, mime: 'image/jpeg', bytes: 2048, filename: null } });
	inbound('location', 'Evim', { details: { location: { latitude: 41.0082, longitude: 28.9784, name: 'Evim' } } });
	inbound('contacts', '', { details: { contacts: [{ name: 'Ali Veli', phones: ['+905551112233'] }] } });
	inbound('reaction', '👍', { details: { reaction: { to: 'wamid.thread.1', emoji: '👍' } } });
	inbound('button', 'Evet, uygun');
	inbound('unsupported:poll', '');
	appendCall(thread, { at: at(40), outcome: 'missed', durationSeconds: 0, providerCallId: 'CA-missed', from: '+905321234567' });
	appendCall(thread, { at: at(39), outcome: 'answered', durationSeconds: 125, providerCallId: 'CA-answered' });
	appendForm(thread, { at: at(30), providerFormId: 'form-1', fields: { Ad: 'İpek Şahin', Konu: 'İmplant' }, text: '' });
	appendEvent(thread, { at: at(20), text: 'Otomatik atama' });
	// Yesterday's message, for a day separator.
	appendInbound(thread, {
		channel: 'whatsapp',
		at: at(26 * 60),
		messageType: 'text',
		text: 'Dünkü mesaj',
		providerMessageId: 'wamid.yesterday'
	});
	const clinicDay = new Intl.DateTimeFormat('en-CA', { timeZone: DEFAULT_TIME_ZONE });
	seededDays = new Set(readEntries(thread).map((e) => clinicDay.format(new Date(e.at)))).size;

	// A patient who last wrote two days ago: WhatsApp's window is closed.
	const contacts = await held(docNames.contacts(clinic));
	const old = createContact(contacts, {
		name: 'Eski Hasta',
		phones: ['+905449998877'],
		identities: [{ channel: 'whatsapp', id: '905449998877' }]
	});
	const twoDaysAgo = at(48 * 60);
	oldThreadId = openThread(inbox, { contactId: old, channel: 'whatsapp', at: twoDaysAgo });
	const oldThread = await held(docNames.thread(clinic, oldThreadId));
	appendInbound(oldThread, {
		channel: 'whatsapp',
		at: twoDaysAgo,
		messageType: 'text',
		text: 'Teşekkürler',
		providerMessageId: 'wamid.old'
	});
	recordActivity(inbox, oldThreadId, { at: twoDaysAgo, preview: 'Teşekkürler', direction: 'in' });

	const directory = await held(docNames.directory(clinic));
	addTemplate(directory, {
		name: 'appointment_followup',
		language: 'tr',
		bodyParams: 1,
		preview: 'Merhaba {{1}}, randevunuz için yazıyoruz.'
	});
}

beforeAll(async () => {
	fake = await FakeMeta.start();
	const env = testEnv(metaEnv(fake));
	clinic = await createClinic(env, 'Thread Klinik');
	reception = await createUser(env, clinic, 'reception');
	adminUser = await createUser(env, clinic, 'admin');
	const connected = await admin(env, ['connect-whatsapp', '--clinic', clinic, '--phone-number-id', PHONE_NUMBER_ID], WA_TOKEN);
	expect(connected.code, connected.stderr).toBe(0);
	server = await ServerProcess.start(env);
	proxy = await CuttableProxy.start(server.port);
	cookie = await apiLogin(server.url, adminUser.email, adminUser.password);
	await seed();
	browser = await launchChromium();
	// A 10-inch tablet in portrait, and a desk.
	const toTheThread = { path: `/inbox/${threadId}`, ready: ['[data-testid="thread-header"]'] };
	tablet = await signIn(browser, proxy.url, reception, {
		...toTheThread,
		context: { viewport: { width: 800, height: 1280 }, hasTouch: true }
	});
	desk = await signIn(browser, server.url, adminUser, { ...toTheThread, context: { viewport: { width: 1440, height: 900 } } });
});

afterAll(async () => {
	for (const p of providers) p.destroy();
	await browser?.close();
	await proxy?.cut();
	await server?.stop();
	await fake?.close();
});

describe('THREAD: one conversation on two devices', () => {
	it('THREAD-ENTRY-1: every entry kind renders readably, days separated in the clinic’s zone', async () => {
		const page = tablet.page;
		await page.waitForSelector(entry('message', 'Merhaba, implant için yazıyorum'));
		expect(await page.textContent('[data-testid="contact-name"]')).toContain('İpek Şahin');
		expect(await page.textContent('[data-testid="channel"]')).toContain('WhatsApp');
		await page.waitForSelector('[data-testid="media-pending"]');
		await page.waitForSelector(entry('message', 'Evim'));
		await page.waitForSelector(entry('message', 'Ali Veli'));
		await page.waitForSelector(entry('message', '👍'));
		await page.waitForSelector(entry('message', 'Evet, uygun'));
		await page.waitForSelector(entry('message', 'poll'));
		await page.waitForSelector('[data-testid="entry"][data-kind="call"][data-outcome="missed"]');
		await page.waitForSelector('[data-testid="entry"][data-kind="call"][data-outcome="answered"]:has-text("2:05")');
		await page.waitForSelector(entry('form', 'İmplant'));
		await page.waitForSelector(entry('event', 'Otomatik atama'));
		expect(await page.$$eval('[data-testid="day"]', (days) => days.length)).toBe(seededDays);
		await page.screenshot({ path: '/tmp/thread-tablet-portrait.png' });
		// Opening the thread marked it read for both of them (THREAD-READ-1).
		const inbox = await held(docNames.inbox(clinic));
		await withTimeout(
			whenDoc(inbox, (d) => {
				const s = readThreadSummary(d, threadId);
				return !!s && s.readBy[reception.id] === s.inboundCount && s.readBy[adminUser.id] === s.inboundCount;
			}),
			15_000,
			'the thread read by both'
		);
		// The missed call's call-back task, done on one device, is done on the other.
		await page.click('[data-testid="callback"]');
		await desk.page.waitForSelector('[data-testid="callback-done"]');
	});

	it('THREAD-PRESENCE-3: each device sees who else has the thread open and who is typing, gone when they leave', async () => {
		await desk.page.waitForSelector(`[data-testid="viewer"][title="${reception.name}"]`);
		await tablet.page.waitForSelector(`[data-testid="viewer"][title="${adminUser.name}"]`);
		await tablet.page.type('[data-testid="composer-text"]', 'Bir dakika');
		await desk.page.waitForSelector(`[data-testid="typing"]:has-text("${reception.name}")`);
		await tablet.page.fill('[data-testid="composer-text"]', '');
		// The tablet goes to the list: its presence in the thread is gone from the desk within seconds.
		await tablet.page.goto(`${proxy.url}/inbox`);
		await desk.page.waitForSelector(`[data-testid="viewer"][title="${reception.name}"]`, { state: 'detached', timeout: 10_000 });
		await tablet.page.goto(`${proxy.url}/inbox/${threadId}`);
		await tablet.page.waitForSelector('[data-testid="composer-text"]');
	});

	it('THREAD-COMPOSE-3: a reply written offline shows as waiting, reaches the other device after reconnecting, its tick moves to sent, then delivered', async () => {
		const page = tablet.page;
		const sendsBefore = fake.sends.length;
		await proxy.cut();
		await page.waitForSelector('[data-testid="sync-status"][data-status="offline"]');
		await page.fill('[data-testid="composer-text"]', 'Yarın 10:00 uygun mu?');
		await page.click('[data-testid="send"]');
		await page.waitForSelector(`${entry('message', 'Yarın 10:00 uygun mu?')}[data-status="queued"]`);
		expect(await desk.page.$(entry('message', 'Yarın 10:00 uygun mu?'))).toBeNull();
		await proxy.connect();
		await desk.page.waitForSelector(entry('message', 'Yarın 10:00 uygun mu?'), { timeout: 15_000 });
		// The server's dispatcher sends it to (fake) Meta, which answers with its id: sent on both devices.
		for (const p of [desk.page, page])
			await p.waitForSelector(`${entry('message', 'Yarın 10:00 uygun mu?')} [data-testid="tick"][data-status="sent"]`, {
				timeout: 15_000
			});
		// Exactly one send; Meta's "delivered" status moves the tick on both devices.
		expect(fake.sends.length).toBe(sendsBefore + 1);
		const thread = await held(docNames.thread(clinic, threadId));
		await withTimeout(
			whenDoc(thread, (d) => readEntries(d).some((e) => e.text === 'Yarın 10:00 uygun mu?' && e.providerMessageId)),
			15_000,
			'the sent reply’s id'
		);
		const wamid = readEntries(thread).find((e) => e.text === 'Yarın 10:00 uygun mu?')!.providerMessageId!;
		const status = metaJson(whatsappStatus(PHONE_NUMBER_ID, wamid, 'delivered'));
		expect((await postMeta(server.url, status, metaSignature(status, META_SECRET))).status).toBe(200);
		for (const p of [desk.page, page])
			await p.waitForSelector(`${entry('message', 'Yarın 10:00 uygun mu?')} [data-testid="tick"][data-status="delivered"]`, {
				timeout: 15_000
			});
	});

	it('THREAD-RETRY-1: a failed reply shows the provider’s reason in red, and Retry sends it again', async () => {
		fake.failNext(GRAPH_ERRORS.undeliverable);
		await desk.page.fill('[data-testid="composer-text"]', 'Tekrar deneme');
		await desk.page.click('[data-testid="send"]');
		const failed = `${entry('message', 'Tekrar deneme')}[data-status="failed"]`;
		await tablet.page.waitForSelector(failed, { timeout: 15_000 });
		expect(await tablet.page.textContent(`${failed} [data-testid="failure"]`)).toContain('Undeliverable');
		await tablet.page.click(`${failed} [data-testid="retry"]`);
		await desk.page.waitForSelector(`${entry('message', 'Tekrar deneme')}[data-status="sent"]`, { timeout: 15_000 });
	});

	it('THREAD-MENTION-1: an internal comment with an @mention picked by keyboard, apart from the messages', async () => {
		const page = tablet.page;
		await page.click('[data-testid="mode-comment"]');
		await page.click('[data-testid="composer-text"]');
		await page.keyboard.type('Fiyatı @');
		await page.waitForSelector('[data-testid="mention-list"]');
		// The admin is the only colleague: picked with Enter.
		await page.keyboard.press('Enter');
		await page.keyboard.type('sorar mısın?');
		const typed = await page.inputValue('[data-testid="composer-text"]');
		expect(typed).toMatch(/^Fiyatı @Staff \d+ sorar mısın\?$/);
		await page.click('[data-testid="send"]');
		await desk.page.waitForSelector(entry('comment', 'sorar mısın?'));
		const thread = await held(docNames.thread(clinic, threadId));
		await withTimeout(
			whenDoc(thread, (d) => readEntries(d).some((e) => e.kind === 'comment' && e.mentions.includes(adminUser.id))),
			15_000,
			'the mention in the doc'
		);
	});

	it('THREAD-HEADER-1: assignment, tags, snooze and status reach the other device live', async () => {
		const page = tablet.page;
		await page.selectOption('[data-testid="assignee"]', adminUser.id);
		await page.fill('[data-testid="tag-input"]', 'implant');
		await page.press('[data-testid="tag-input"]', 'Enter');
		await desk.page.waitForFunction(
			(id) => (document.querySelector('[data-testid="assignee"]') as HTMLSelectElement).value === id,
			adminUser.id
		);
		await desk.page.waitForSelector('[data-testid="tag"]:has-text("implant")');
		await page.click('[data-testid="snooze-open"]');
		await page.click('[data-testid="snooze-tomorrow"]');
		await desk.page.waitForFunction(
			() => (document.querySelector('[data-testid="status"]') as HTMLSelectElement).value === 'pending'
		);
		await desk.page.waitForSelector('[data-testid="snooze-open"]:has-text("09:00")');
		await desk.page.selectOption('[data-testid="status"]', 'closed');
		await page.waitForFunction(() => (document.querySelector('[data-testid="status"]') as HTMLSelectElement).value === 'closed');
		const inbox = await held(docNames.inbox(clinic));
		expect(readThreadSummary(inbox, threadId)).toMatchObject({
			status: 'closed',
			snoozedUntil: null,
			tags: ['implant'],
			assigneeId: adminUser.id
		});
		await desk.page.screenshot({ path: '/tmp/thread-desk.png' });
	});

	it('THREAD-COMPOSE-1: outside the 24-hour window the composer says so first and offers only the templates', async () => {
		const page = tablet.page;
		await page.goto(`${proxy.url}/inbox/${oldThreadId}`);
		await page.waitForSelector('[data-testid="composer"][data-mode="templateOnly"] [data-testid="window-closed"]');
		expect(await page.$('[data-testid="composer-text"]')).toBeNull();
		await page.selectOption('[data-testid="template-select"]', { label: 'appointment_followup (tr)' });
		await page.fill('[data-testid="template-param"]', 'Ayşe Hanım');
		expect(await page.textContent('[data-testid="template-preview"]')).toBe('Merhaba Ayşe Hanım, randevunuz için yazıyoruz.');
		await page.screenshot({ path: '/tmp/thread-template.png' });
		await page.click('[data-testid="send-template"]');
		await page.waitForSelector(`${entry('message', 'Merhaba Ayşe Hanım')}`);
		await fake.whenSends(4);
		const sent = fake.sends.at(-1)?.body as { type?: string; template?: { name?: string } };
		expect(sent.type).toBe('template');
		expect(sent.template?.name).toBe('appointment_followup');
	});

	it('REPLIES-6 / THREAD-CANNED-1: an admin adds a canned reply in Settings; "/" in a composer finds it by keyboard', async () => {
		const settings = desk.page;
		await settings.goto(`${server.url}/settings/replies`);
		await settings.waitForSelector('[data-testid="replies-settings"][data-ready="true"]');
		// An empty title is refused with a message, and nothing is added.
		await settings.fill('[data-testid="canned-form"] textarea[name="text"]', 'Kliniğimiz Moda Caddesi 5 numarada.');
		await settings.click('[data-testid="canned-form"] button[type="submit"]');
		await settings.waitForSelector('[data-testid="canned-form"] [role="alert"]');
		expect(await settings.$$('[data-testid="canned-row"]')).toHaveLength(0);
		await settings.fill('[data-testid="canned-form"] input[name="title"]', 'Adres');
		await settings.click('[data-testid="canned-form"] button[type="submit"]');
		await settings.waitForSelector('[data-testid="canned-row"]:has-text("Adres")');
		await settings.screenshot({ path: '/tmp/replies-settings.png' });

		const page = tablet.page;
		await page.goto(`${proxy.url}/inbox/${threadId}`);
		await page.waitForSelector('[data-testid="composer-text"]');
		await page.click('[data-testid="composer-text"]');
		await page.keyboard.type('/');
		await page.waitForSelector('[data-testid="canned-search"]');
		await page.keyboard.type('adr');
		await page.keyboard.press('Enter');
		await page.waitForFunction(
			() =>
				(document.querySelector('[data-testid="composer-text"]') as HTMLTextAreaElement).value ===
				'Kliniğimiz Moda Caddesi 5 numarada.'
		);

		// Removing it asks first.
		await settings.click('[data-testid="canned-remove"]');
		await settings.waitForSelector('[data-testid="confirm-dialog"]');
		await settings.click('[data-testid="confirm"]');
		await settings.waitForSelector('[data-testid="canned-row"]', { state: 'detached' });
	});

	it('THREAD-MERGE-1: merging into another thread asks first, copies every entry and records the merge', async () => {
		const page = desk.page;
		await page.goto(`${server.url}/inbox/${oldThreadId}`);
		await page.waitForSelector('[data-testid="thread-header"]');
		await page.click('[data-testid="merge-open"]');
		await page.fill('[data-testid="merge-search"]', 'ipek');
		await page.click('[data-testid="merge-target"]:has-text("İpek Şahin")');
		await page.waitForSelector('[data-testid="confirm-dialog"]');
		await page.click('[data-testid="confirm"]');
		await page.waitForURL(new RegExp(`/inbox/${threadId}$`));
		await page.waitForSelector(entry('message', 'Teşekkürler'));
		await page.waitForSelector(entry('event', 'Eski Hasta'));
		const inbox = await held(docNames.inbox(clinic));
		expect(readThreadSummary(inbox, oldThreadId)?.mergedInto).toBe(threadId);
		const contacts = await held(docNames.contacts(clinic));
		expect(listContacts(contacts).map((c) => c.name)).toEqual(['İpek Şahin']);

		// The same thread in English on the tablet turned to landscape: list and thread side by side.
		const tab = tablet.page;
		await tab.evaluate(() => localStorage.setItem('frontdesk.locale', 'en'));
		await tab.setViewportSize({ width: 1280, height: 800 });
		await tab.goto(`${proxy.url}/inbox/${threadId}`);
		await tab.waitForSelector(entry('event', 'A conversation with Eski Hasta was merged into this one.'));
		expect(await tab.textContent('[data-testid="send"]')).toBe('Send');
		expect(await tab.textContent('[data-testid="mode-comment"]')).toContain('Internal note');
		await tab.screenshot({ path: '/tmp/thread-tablet-landscape-en.png' });
	});
	it('SCHEDULE-BOOK-1: "Book appointment" in a thread opens a booking for that patient, through that channel', async () => {
		const directory = await held(docNames.directory(clinic));
		addPractitioner(directory, { name: 'Dr. Ayşe Yılmaz' });
		const page = desk.page;
		await page.goto(`${server.url}/inbox/${threadId}`);
		await page.click('[data-testid="book-appointment"]');
		await page.waitForSelector('[data-testid="appointment-form"] [data-testid="picked-patient"]:has-text("İpek Şahin")');
		expect(await page.inputValue('[data-testid="appointment-form"] select[name="source"]')).toBe('whatsapp');
		// The request leaves the address: a reload does not open another booking.
		expect(page.url()).not.toContain('book=');
		await page.fill('[data-testid="appointment-form"] input[name="time"]', '16:30');
		await page.click('[data-testid="appointment-form"] button[type="submit"]');
		await page.waitForSelector('[data-testid="appointment"][data-start$="T16:30"]:has-text("İpek Şahin")');
	});
});
