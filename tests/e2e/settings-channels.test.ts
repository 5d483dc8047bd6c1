import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { launchChromium, signIn } from '../helpers/browser.ts';
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
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// Settings → Channels as an admin uses it (CHAN-ACCOUNT-*, docs/spec/channels.md): a form that refuses bad input
// before anything is sent, a connected WhatsApp number that then feeds the inbox, a disconnect that asks first;
// other roles get no form.
let server: ServerProcess;
let fake: FakeMeta;
let browser: Browser;
let adminUser: TestUser;
let reception: TestUser;
let admin: { context: BrowserContext; page: Page };

const FORM = '[data-testid="connect-channel-form"]';

beforeAll(async () => {
	fake = await FakeMeta.start();
	const env = testEnv(metaEnv(fake));
	const clinic = await createClinic(env, 'Kanal Klinik');
	adminUser = await createUser(env, clinic, 'admin');
	reception = await createUser(env, clinic, 'reception');
	server = await ServerProcess.start(env);
	browser = await launchChromium();
	admin = await signIn(browser, server.url, adminUser, { path: '/settings/channels', ready: ['[data-testid="no-channels"]'] });
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	await fake?.close();
});

describe('Settings → Channels', () => {
	it('bad input is refused field by field before anything is sent, and nothing is connected', async () => {
		const { page } = admin;
		await page.selectOption(`${FORM} select[name="provider"]`, 'whatsapp');
		await page.fill(`${FORM} input[name="externalId"]`, '12ab');
		await page.fill(`${FORM} input[name="accessToken"]`, 'short');
		await page.click(`${FORM} button[type="submit"]`);
		await page.waitForSelector(`${FORM} input[name="externalId"][aria-invalid="true"]`);
		await page.waitForSelector(`${FORM} input[name="accessToken"][aria-invalid="true"]`);
		expect(await page.isVisible('[data-testid="no-channels"]')).toBe(true);
	});

	it('a connected WhatsApp number feeds the inbox; its token leaves the form', async () => {
		const { page } = admin;
		await page.fill(`${FORM} input[name="externalId"]`, PHONE_NUMBER_ID);
		await page.fill(`${FORM} input[name="accessToken"]`, WA_TOKEN);
		await page.click(`${FORM} button[type="submit"]`);
		await page.waitForSelector(`${FORM} [role="status"]`);
		await page.waitForSelector(`[data-testid="channel-list"] li:has-text("${PHONE_NUMBER_ID}")`);
		expect(await page.inputValue(`${FORM} input[name="accessToken"]`)).toBe('');

		const raw = metaJson(
			whatsappMessages(PHONE_NUMBER_ID, { waId: '905331112233', name: 'Derya Kurt' }, [
				{ id: 'wamid.settings.1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Merhaba' } }
			])
		);
		expect((await postMeta(server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
		await page.goto(`${server.url}/inbox`);
		await page.waitForSelector('[data-testid="thread-row"]:has-text("Derya Kurt")');
	});

	it('disconnecting asks first; cancelling keeps the channel, confirming removes it', async () => {
		const { page } = admin;
		await page.goto(`${server.url}/settings/channels`);
		const item = `[data-testid="channel-list"] li:has-text("${PHONE_NUMBER_ID}")`;
		await page.click(`${item} button`);
		await page.waitForSelector('[data-testid="confirm-dialog"]');
		await page.keyboard.press('Escape');
		await page.waitForSelector('[data-testid="confirm-dialog"]', { state: 'detached' });
		expect(await page.isVisible(item)).toBe(true);
		await page.click(`${item} button`);
		await page.click('[data-testid="confirm"]');
		await page.waitForSelector('[data-testid="no-channels"]');
	});

	it('a receptionist is told channels are for admins, with no form', async () => {
		const { page, context } = await signIn(browser, server.url, reception);
		await page.goto(`${server.url}/settings/channels`);
		await page.waitForSelector('[data-testid="admins-only"]');
		expect(await page.$(FORM)).toBeNull();
		await context.close();
	});
});
