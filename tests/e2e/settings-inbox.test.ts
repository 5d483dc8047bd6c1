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
import { admin, createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// Settings → Inbox (INBOX-AUTO-1/2, docs/spec/inbox.md) as two admins and a receptionist use it: a refused rule
// changes nothing, a saved one reaches the other admin live, and a receptionist on duty gets new conversations.
let server: ServerProcess;
let fake: FakeMeta;
let browser: Browser;
const contexts: BrowserContext[] = [];
let first: Page;
let second: Page;
let desk: Page;
let reception: TestUser;

const RULES = '[data-testid="inbox-rules"][data-ready="true"]';

async function open(user: TestUser, path: string): Promise<Page> {
	const { context, page } = await signIn(browser, server.url, user, { path });
	contexts.push(context);
	return page;
}

beforeAll(async () => {
	fake = await FakeMeta.start();
	const env = testEnv(metaEnv(fake));
	const clinic = await createClinic(env, 'Kural Klinik');
	const [adminA, adminB] = [await createUser(env, clinic, 'admin'), await createUser(env, clinic, 'admin')];
	reception = await createUser(env, clinic, 'reception');
	const connected = await admin(env, ['connect-whatsapp', '--clinic', clinic, '--phone-number-id', PHONE_NUMBER_ID], WA_TOKEN);
	expect(connected.code, connected.stderr).toBe(0);
	server = await ServerProcess.start(env);
	browser = await launchChromium();
	first = await open(adminA, '/settings/inbox');
	second = await open(adminB, '/settings/inbox');
	desk = await open(reception, '/inbox');
	await Promise.all([first.waitForSelector(RULES), second.waitForSelector(RULES)]);
});

afterAll(async () => {
	for (const context of contexts) await context.close();
	await browser?.close();
	await server?.stop();
	await fake?.close();
});

describe('Settings → Inbox', () => {
	it('an away message without its text is refused with a reason, and nothing reaches the other admin', async () => {
		const before = await second.isChecked('input[name="awayMessage"]');
		if (!(await first.isChecked('input[name="awayMessage"]'))) await first.check('input[name="awayMessage"]');
		await first.fill('textarea[name="awayText"]', '');
		await first.click(`${RULES} button[type="submit"]`);
		await first.waitForSelector(`${RULES} [role="alert"]`);
		expect(await second.isChecked('input[name="awayMessage"]')).toBe(before);
		await first.reload();
		await first.waitForSelector(RULES);
	});

	it('auto-assignment saved by one admin shows on the other’s screen at once', async () => {
		if (await first.isChecked('input[name="autoAssign"]')) await first.uncheck('input[name="autoAssign"]');
		await first.check('input[name="autoAssign"]');
		await first.fill('input[name="capPerPerson"]', '2');
		await first.click(`${RULES} button[type="submit"]`);
		await first.waitForSelector(`${RULES} [role="status"]`);
		await second.waitForSelector('input[name="autoAssign"]:checked');
		expect(await second.inputValue('input[name="capPerPerson"]')).toBe('2');
	});

	it('a receptionist who says she is on duty is given the next new conversation', async () => {
		const onDuty = '[data-testid="duty-toggle"] input:not([disabled])';
		await desk.waitForSelector(onDuty);
		await desk.check(onDuty);
		const raw = metaJson(
			whatsappMessages(PHONE_NUMBER_ID, { waId: '905441234567', name: 'Selin Koç' }, [
				{ id: 'wamid.rules.1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Merhaba' } }
			])
		);
		expect((await postMeta(server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
		await desk.click('[data-scope="mine"]');
		await desk.waitForSelector('[data-testid="thread-row"]:has-text("Selin Koç")');
	});
});
