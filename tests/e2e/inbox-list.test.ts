import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { hasIndexMark, launchChromium, signIn, waitForPageState } from '../helpers/browser.ts';
import {
	FakeMeta,
	META_SECRET,
	PHONE_NUMBER_ID,
	WA_TOKEN,
	metaEnv,
	metaJson,
	postMeta,
	whatsappMessages
} from '../helpers/fakeMeta.ts';
import { admin, createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// The inbox list on two staff devices, fed by real signed WhatsApp webhooks through the server: new threads show
// live with their unread counts, the title counts them, search folds Turkish and reads any phone spelling, and it
// all answers from IndexedDB when the device is offline.
let server: ServerProcess;
let fake: FakeMeta;
let browser: Browser;
let reception: TestUser;
let adminUser: TestUser;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };
const bConsole: string[] = [];

const LIST_READY = '[data-testid="thread-list"][data-ready="true"]';
const row = (text: string) => `[data-testid="thread-row"]:has-text("${text}")`;

let sequence = 0;
async function whatsapp(from: { waId: string; name: string }, text: string): Promise<void> {
	const raw = metaJson(
		whatsappMessages(PHONE_NUMBER_ID, from, [
			{
				id: `wamid.e2e.${++sequence}`,
				// Meta's timestamps are whole seconds: each message a second after the last, so their order is known.
				timestamp: String(Math.floor(Date.now() / 1000) + sequence),
				type: 'text',
				text: { body: text }
			}
		])
	);
	const answer = await postMeta(server.url, raw, metaSignature(raw, META_SECRET));
	expect(answer.status).toBe(200);
}

async function visibleRows(page: Page): Promise<string[]> {
	return page.$$eval('[data-testid="thread-contact"]', (nodes) => nodes.map((n) => n.textContent?.trim() ?? ''));
}

async function search(page: Page, text: string): Promise<void> {
	await page.fill('input[name="search"]', text);
}

beforeAll(async () => {
	fake = await FakeMeta.start();
	const env = testEnv(metaEnv(fake));
	const clinic = await createClinic(env, 'Inbox Klinik');
	reception = await createUser(env, clinic, 'reception');
	adminUser = await createUser(env, clinic, 'admin');
	const connected = await admin(env, ['connect-whatsapp', '--clinic', clinic, '--phone-number-id', PHONE_NUMBER_ID], WA_TOKEN);
	expect(connected.code, connected.stderr).toBe(0);
	server = await ServerProcess.start(env);
	browser = await launchChromium();
	a = await signIn(browser, server.url, reception, { path: '/inbox', ready: [LIST_READY] });
	b = await signIn(browser, server.url, adminUser, { path: '/inbox', ready: [LIST_READY] });
	// Everything b's page says from the start: INBOX-READY-1's diagnostics report it (a failed store write is logged
	// long before the step that shows it).
	b.page.on('console', (message) => {
		if (message.type() === 'error' || message.type() === 'warning')
			bConsole.push(`${message.type()}: ${message.text().slice(0, 300)}`);
	});
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	await fake?.close();
});

describe('INBOX-LIST: the thread list on every device', () => {
	it('a WhatsApp message becomes a new thread on both devices at once, unread, counted in the title, announced', async () => {
		await whatsapp({ waId: '905321234567', name: 'İpek Şahin' }, 'Merhaba, implant randevusu almak istiyorum');
		for (const { page } of [a, b]) {
			await page.waitForSelector(`${row('İpek Şahin')}[data-unread="1"]`, { timeout: 2000 });
			expect(await page.textContent(`${row('İpek Şahin')} [data-testid="thread-preview"]`)).toContain('implant randevusu');
			await page.waitForFunction(() => document.title.startsWith('(1) '));
			await page.waitForSelector('[data-testid="inbox-alert"][data-kind="message"]:has-text("İpek Şahin")');
			expect(await page.textContent('[data-testid="inbox-unread"]')).toBe('1');
		}
		await whatsapp({ waId: '905441112233', name: 'Burak Öz' }, 'Fiyat bilgisi alabilir miyim?');
		await a.page.waitForSelector(row('Burak Öz'));
		// Newest first.
		expect(await visibleRows(a.page)).toEqual(['Burak Öz', 'İpek Şahin']);
		await a.page.waitForFunction(() => document.title.startsWith('(2) '));
	});

	it('search folds Turkish letters, reads any spelling of a number, and finds words of a message', async () => {
		const cases: [string, string[]][] = [
			['ipek', ['İpek Şahin']],
			['SAHIN', ['İpek Şahin']],
			['05321234567', ['İpek Şahin']],
			['+90 532 123 45 67', ['İpek Şahin']],
			['0544 111', ['Burak Öz']],
			['fiyat', ['Burak Öz']],
			['nobody', []]
		];
		for (const [typed, expected] of cases) {
			await search(a.page, typed);
			await a.page.waitForFunction(
				(want) => {
					const names = [...document.querySelectorAll('[data-testid="thread-contact"]')].map((n) => n.textContent?.trim());
					return JSON.stringify(names) === JSON.stringify(want);
				},
				expected,
				{ timeout: 2000 }
			);
		}
		await search(a.page, '');
		await a.page.waitForSelector(row('Burak Öz'));
	});

	it('filters answer offline too, from the device’s own tables', async () => {
		await a.context.setOffline(true);
		await a.page.click('[data-scope="mine"]');
		await a.page.waitForSelector('[data-testid="thread-list-empty"]');
		await a.page.click('[data-scope="unassigned"]');
		await a.page.waitForSelector(row('İpek Şahin'));
		await a.page.selectOption('select[name="channel"]', 'instagram');
		await a.page.waitForSelector('[data-testid="thread-list-empty"]');
		await a.page.selectOption('select[name="channel"]', 'whatsapp');
		await search(a.page, 'ipek');
		await a.page.waitForFunction(() => document.querySelectorAll('[data-testid="thread-row"]').length === 1);
		await search(a.page, '');
		await a.page.click('[data-scope="all"]');
		await a.context.setOffline(false);
	});

	it('the list is usable by keyboard: arrows move between threads, Enter opens one', async () => {
		await a.page.focus(`${row('Burak Öz')}`);
		await a.page.keyboard.press('ArrowDown');
		expect(await a.page.evaluate(() => document.activeElement?.textContent)).toContain('İpek Şahin');
		await a.page.keyboard.press('Enter');
		await a.page.waitForURL(/\/inbox\/[a-z0-9]+$/);
		expect(await a.page.getAttribute(row('İpek Şahin'), 'aria-current')).toBe('page');
	});

	it('INBOX-LIST-1: words of a conversation seen on the device are found, also those never shown as its last message', async () => {
		await a.page.click(row('İpek Şahin'));
		await a.page.click('[data-testid="mode-comment"]');
		await a.page.fill('[data-testid="composer-text"]', 'Röntgen sonuçları hazır');
		await a.page.click('[data-testid="send"]');
		await a.page.waitForSelector('[data-testid="entry"][data-kind="comment"]:has-text("Röntgen sonuçları hazır")');
		await search(a.page, 'rontgen');
		await a.page.waitForFunction(() => {
			const names = [...document.querySelectorAll('[data-testid="thread-contact"]')].map((n) => n.textContent?.trim());
			return JSON.stringify(names) === JSON.stringify(['İpek Şahin']);
		});
		await search(a.page, '');
		await a.page.goto(`${server.url}/inbox`);
		await a.page.waitForSelector(row('Burak Öz'));
	});
	it('INBOX-READY-1: a recent thread never opened on the device is ready offline, and what was said in it is found', async () => {
		// Two messages in one delivery: the device only ever sees the second as the thread's last message.
		const raw = metaJson(
			whatsappMessages(PHONE_NUMBER_ID, { waId: '905551112233', name: 'Cem Aksoy' }, [
				{
					id: `wamid.e2e.${++sequence}`,
					timestamp: String(Math.floor(Date.now() / 1000) + sequence),
					type: 'text',
					text: { body: 'Dolgu randevusu almak istiyorum' }
				},
				{
					id: `wamid.e2e.${++sequence}`,
					timestamp: String(Math.floor(Date.now() / 1000) + sequence),
					type: 'text',
					text: { body: 'Teşekkürler' }
				}
			])
		);
		expect((await postMeta(server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
		await b.page.waitForSelector(row('Cem Aksoy'));
		const threadId = await b.page.getAttribute(row('Cem Aksoy'), 'data-thread');
		// The device fetches the thread by itself once the inbox settles: its mark in IndexedDB says it has it.
		await waitForPageState(b.page, hasIndexMark, `thread:${threadId}`, { what: 'the thread kept on the device' });
		await search(b.page, 'dolgu');
		await b.page.waitForFunction(() => {
			const names = [...document.querySelectorAll('[data-testid="thread-contact"]')].map((n) => n.textContent?.trim());
			return JSON.stringify(names) === JSON.stringify(['Cem Aksoy']);
		});
		await b.context.setOffline(true);
		await b.page.click(row('Cem Aksoy'));
		await b.page
			.waitForSelector('[data-testid="entry"][data-kind="message"]:has-text("Dolgu randevusu almak istiyorum")')
			.catch(async (error: unknown) => {
				// This step failed twice under CI load and never here: say what the device had, to find out why.
				const seen = await b.page.evaluate(
					(id) =>
						new Promise<string>((resolve) => {
							const view = document.querySelector('[data-testid="thread-view"]')?.textContent?.slice(0, 300) ?? 'no thread view';
							const open = indexedDB.open('frontdesk');
							open.onsuccess = () => {
								const rows = open.result.transaction('docUpdates').objectStore('docUpdates').index('docName');
								const all = rows.getAll(IDBKeyRange.bound('', '\uffff'));
								all.onsuccess = () => {
									const mine = (all.result as { docName: string; update: Uint8Array }[]).filter((r) =>
										r.docName.endsWith(`/thread/${id}`)
									);
									open.result.close();
									resolve(
										`view: ${view} | stored rows of the thread: ${mine.length}, bytes ${mine.reduce((n, r) => n + r.update.length, 0)}`
									);
								};
							};
						}),
					threadId
				);
				throw new Error(`${String(error)}\n${seen}\nconsole since sign-in: ${bConsole.join(' | ') || 'none'}`);
			});
		await b.page.waitForSelector('[data-testid="entry"][data-kind="message"]:has-text("Teşekkürler")');
		await b.context.setOffline(false);
		await search(b.page, '');
	});
});
