import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { hasIndexMark, launchChromium, signIn, waitForPageState } from '../helpers/browser.ts';
import { PATIENT_TABLE_MARK } from '../../src/lib/local/patientIndex.ts';
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
import { admin, createClinic, createUser, ROOT, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// Patients (docs/spec/patients.md) as two receptionists use them at once: the person who wrote on WhatsApp is a
// patient, found by any spelling of their number or their name typed without Turkish letters; two people edit one
// record at once, also offline, and both edits stay; consents are recorded with who and how; duplicates merge.
let server: ServerProcess;
let fake: FakeMeta;
let browser: Browser;
const contexts: BrowserContext[] = [];
let a: Page;
let b: Page;
let bContext: BrowserContext;
let deskA: TestUser;

const LIST = '[data-testid="patient-list"][data-ready="true"]';
const PAGE = '[data-testid="patient-page"][data-ready="true"]';

async function search(page: Page, text: string): Promise<string[]> {
	await page.fill('#patient-search', text);
	// The list says which search its rows answer: wait for the answer to this one, not the last one's rows.
	await page.waitForFunction(
		(typed) => document.querySelector<HTMLElement>('[data-testid="patient-list"]')?.dataset.answered === typed.trim(),
		text
	);
	return page.locator('[data-testid="patient-name"]').allTextContents();
}

async function openPatient(page: Page, name: string): Promise<void> {
	await page.goto(`${server.url}/patients`);
	await page.waitForSelector(LIST);
	await page.fill('#patient-search', name);
	await page.locator('[data-testid="patient-row"]', { hasText: name }).first().click();
	await page.waitForSelector(PAGE);
	await page.waitForSelector(`[data-testid="patient-title"]:has-text("${name}")`);
}

/** What the screens say while loading, in either language the browser may get. */
const LOADING = ['en', 'tr'].map(
	(lang) =>
		(JSON.parse(fs.readFileSync(`${ROOT}/src/lib/i18n/messages/${lang}.patients.json`, 'utf8')) as Record<string, string>)[
			'patients.loading'
		]
);

/**
 * A fresh device signed in as `user` whose sync is held: what the server sends waits until `release()`, so the
 * device is on its first sync for as long as the test needs.
 */
async function freshDeviceOnHeldSync(user: TestUser): Promise<{ page: Page; release: () => void }> {
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	contexts.push(context);
	let holding = true;
	const held: (() => void)[] = [];
	await context.routeWebSocket(/\/sync/, (socket) => {
		const server = socket.connectToServer();
		socket.onMessage((message) => server.send(message));
		server.onMessage((message) => {
			if (holding) held.push(() => socket.send(message));
			else socket.send(message);
		});
	});
	const { page } = await signIn(await context.newPage(), server.url, user);
	return {
		page,
		release: () => {
			holding = false;
			for (const send of held.splice(0)) send();
		}
	};
}

/** Resolves once the device's patient table was built from what the device holds (its mark is in IndexedDB). */
async function untilTableBuilt(page: Page): Promise<void> {
	await waitForPageState(page, hasIndexMark, PATIENT_TABLE_MARK, { what: 'the patient table built on the device', interval: 50 });
}

beforeAll(async () => {
	fake = await FakeMeta.start();
	const env = testEnv(metaEnv(fake));
	const clinic = await createClinic(env, 'Hasta Klinik');
	deskA = await createUser(env, clinic, 'reception');
	const deskB = await createUser(env, clinic, 'reception');
	const connected = await admin(env, ['connect-whatsapp', '--clinic', clinic, '--phone-number-id', PHONE_NUMBER_ID], WA_TOKEN);
	expect(connected.code, connected.stderr).toBe(0);
	server = await ServerProcess.start(env);
	// İpek writes on WhatsApp before anyone opens the app: she becomes a patient through the inbox.
	const raw = metaJson(
		whatsappMessages(PHONE_NUMBER_ID, { waId: '905321234567', name: 'İpek Şahin' }, [
			{ id: 'wamid.patient.1', type: 'text', text: { body: 'Merhaba, implant için randevu alabilir miyim?' } }
		])
	);
	expect((await postMeta(server.url, raw, metaSignature(raw, META_SECRET))).status).toBe(200);
	browser = await launchChromium();
	const first = await signIn(browser, server.url, deskA, { path: '/patients', ready: [LIST] });
	const second = await signIn(browser, server.url, deskB, { path: '/patients', ready: [LIST] });
	contexts.push(first.context, second.context);
	a = first.page;
	b = second.page;
	bContext = second.context;
});

afterAll(async () => {
	for (const context of contexts) await context.close();
	await browser?.close();
	await server?.stop();
	await fake?.close();
});

describe('Patients', () => {
	it('PATIENT-SEARCH-1: a patient is added at the desk; search finds numbers in any spelling and names typed without Turkish letters', async () => {
		await a.click('button[aria-expanded]');
		await a.fill('[data-testid="new-patient"] input[name="name"]', 'Şükrü Işık');
		await a.fill('[data-testid="new-patient"] input[name="phone"]', '12');
		await a.click('[data-testid="new-patient"] button[type="submit"]');
		// A number nobody can call is refused with a reason, and no patient is made.
		await a.waitForSelector('[data-testid="new-patient"] [role="alert"]');
		await a.fill('[data-testid="new-patient"] input[name="phone"]', '0544 111 22 33');
		await a.click('[data-testid="new-patient"] button[type="submit"]');
		await a.waitForSelector(PAGE);
		await a.waitForSelector('[data-testid="patient-title"]:has-text("Şükrü Işık")');
		await a.goto(`${server.url}/patients`);
		await a.waitForSelector(LIST);
		await a.waitForSelector('[data-testid="patient-name"]:has-text("İpek Şahin")');
		expect(await search(a, '05321234567')).toEqual(['İpek Şahin']);
		expect(await search(a, '+90 532 123 45 67')).toEqual(['İpek Şahin']);
		expect(await search(a, 'ipek')).toEqual(['İpek Şahin']);
		expect(await search(a, 'sukru isik')).toEqual(['Şükrü Işık']);
		expect(await search(a, '0544 111')).toEqual(['Şükrü Işık']);
		expect(await search(a, 'nobody')).toEqual([]);
		// The other desk has both at once.
		expect(await search(b, 'isik')).toEqual(['Şükrü Işık']);
	});

	it('PATIENT-RECORD-1: two desks edit one record at once, one of them offline; every edit stays, a bad one is refused', async () => {
		await openPatient(a, 'İpek Şahin');
		await openPatient(b, 'İpek Şahin');
		// Her conversation is in her timeline.
		await a.waitForSelector('[data-testid="patient-timeline"] [data-kind="thread"]');
		await bContext.setOffline(true);
		await a.fill('input[name="dateOfBirth"]', '1988-03-14');
		await a.locator('input[name="dateOfBirth"]').dispatchEvent('change');
		await a.fill('input[name="newTag"]', 'implant');
		await a.press('input[name="newTag"]', 'Enter');
		await b.selectOption('select[name="language"]', 'en');
		await b.fill('input[name="newTag"]', 'VIP');
		await b.press('input[name="newTag"]', 'Enter');
		await bContext.setOffline(false);
		for (const page of [a, b]) {
			await page.waitForSelector('[data-testid="patient-tags"] li:has-text("implant")');
			await page.waitForSelector('[data-testid="patient-tags"] li:has-text("VIP")');
			await page.waitForFunction(() => document.querySelector<HTMLSelectElement>('select[name="language"]')?.value === 'en');
			await page.waitForFunction(
				() => document.querySelector<HTMLInputElement>('input[name="dateOfBirth"]')?.value === '1988-03-14'
			);
		}
		// A number nobody can call: refused, said why, the numbers stay as they were.
		const phones = await a.locator('[data-testid="patient-phones"] li').allTextContents();
		await a.fill('input[name="newPhone"]', '12');
		await a.press('input[name="newPhone"]', 'Enter');
		await a.waitForSelector('[data-testid="patient-problem"]');
		expect(await a.locator('[data-testid="patient-phones"] li').allTextContents()).toEqual(phones);
	});

	it('PRESENCE-PAGE-1: each desk sees who else is on the page; leaving or closing the tab takes the avatar away', async () => {
		// Both are on İpek's page (the previous test left them there, B just back online): seen within seconds, not
		// after the 15–30 s presence renewal (PRESENCE-RECONNECT-1).
		await a.waitForSelector('[data-testid="page-visitor"]', { timeout: 5000 });
		await b.waitForSelector('[data-testid="page-visitor"]', { timeout: 5000 });
		expect(await a.locator('[data-testid="page-visitor"]').count()).toBe(1);
		const patientUrl = b.url();
		await b.goto(`${server.url}/patients`);
		await a.waitForSelector('[data-testid="page-visitor"]', { state: 'detached' });
		await b.goto(patientUrl);
		await b.waitForSelector(PAGE);
		await a.waitForSelector('[data-testid="page-visitor"]');
		// A tab closed: gone within seconds, not after a timeout of minutes.
		const third = await bContext.newPage();
		await third.goto(patientUrl);
		await third.waitForSelector(PAGE);
		await third.close();
		await b.close();
		const closedAt = Date.now();
		await a.waitForSelector('[data-testid="page-visitor"]', { state: 'detached', timeout: 10_000 });
		expect(Date.now() - closedAt).toBeLessThan(10_000);
		b = await bContext.newPage();
		await b.goto(patientUrl);
		await b.waitForSelector(PAGE);
	});

	it('PATIENT-CONSENT-1: a consent is recorded with how and by whom, and the other desk sees it', async () => {
		await a.selectOption('[data-consent="marketing"] select', 'whatsapp');
		await a.click('[data-consent="marketing"] [data-action="give"]');
		await b.waitForSelector('[data-consent="marketing"][data-given="true"]');
		expect(await b.locator('[data-consent="marketing"]').textContent()).toMatch(/WhatsApp/);
		await b.click('[data-consent="marketing"] [data-action="withdraw"]');
		await a.waitForSelector('[data-consent="marketing"][data-given="false"]');
		await a.waitForFunction(
			() => document.querySelectorAll('[data-testid="patient-timeline"] [data-kind="consent"]').length === 2
		);
	});

	it('PATIENT-MERGE-1: a duplicate merged in brings its number; the merged record points to the kept one', async () => {
		await a.goto(`${server.url}/patients`);
		await a.waitForSelector(LIST);
		await a.click('button[aria-expanded]');
		await a.fill('[data-testid="new-patient"] input[name="name"]', 'Ipek S.');
		await a.fill('[data-testid="new-patient"] input[name="phone"]', '0555 444 33 22');
		await a.click('[data-testid="new-patient"] button[type="submit"]');
		await a.waitForSelector('[data-testid="patient-title"]:has-text("Ipek S.")');
		const duplicateUrl = a.url();
		await openPatient(a, 'İpek Şahin');
		await a.fill('input[name="mergeSearch"]', '0555 444');
		await a.click('[data-testid="merge-candidate"]');
		await a.click('[data-testid="confirm-dialog"] [data-testid="confirm"]');
		await a.waitForSelector('[data-testid="patient-phones"] li:has-text("+90 555 444 33 22")');
		await a.waitForSelector('[data-testid="patient-timeline"] [data-kind="merge"]');
		await b.waitForSelector('[data-testid="patient-phones"] li:has-text("+90 555 444 33 22")');
		await a.goto(duplicateUrl);
		await a.waitForSelector(`${PAGE} [data-testid="patient-merged"]`);
		await b.goto(`${server.url}/patients`);
		await b.waitForSelector(LIST);
		expect(await search(b, '0555 444 33 22')).toEqual(['İpek Şahin']);
	});

	it('PATIENT-PAGE-3: from a conversation, the person’s patient record is one click away', async () => {
		await a.goto(`${server.url}/inbox`);
		await a.locator('[data-testid="thread-row"]', { hasText: 'İpek' }).first().click();
		await a.click('[data-testid="open-patient"]');
		await a.waitForSelector(`${PAGE} [data-testid="patient-title"]:has-text("İpek Şahin")`);
		await a.waitForSelector('[data-testid="patient-timeline"] [data-kind="thread"]');
	});

	it('PATIENT-READY-1: a fresh device on its first sync says the list is loading, never that there are no patients', async () => {
		const { page, release } = await freshDeviceOnHeldSync(deskA);
		await page.goto(`${server.url}/patients`);
		await untilTableBuilt(page);
		expect(await page.getAttribute('[data-testid="patient-list"]', 'data-ready')).not.toBe('true');
		expect(LOADING).toContain((await page.locator('[data-testid="patient-list-empty"]').textContent())?.trim());
		release();
		await page.waitForSelector(LIST);
		await page.waitForSelector('[data-testid="patient-name"]:has-text("İpek Şahin")');
		await page.close();
	});

	it('PATIENT-READY-2: on a fresh device a patient’s page says loading, then shows the patient; "not found" only when they truly are not', async () => {
		await openPatient(a, 'İpek Şahin');
		const ipekUrl = a.url();
		const { page, release } = await freshDeviceOnHeldSync(deskA);
		await page.goto(ipekUrl);
		await untilTableBuilt(page);
		expect(await page.getAttribute('[data-testid="patient-page"]', 'data-ready')).not.toBe('true');
		expect(LOADING).toContain((await page.locator('[data-testid="patient-missing"]').textContent())?.trim());
		release();
		await page.waitForSelector(`${PAGE} [data-testid="patient-title"]:has-text("İpek Şahin")`);
		// The timeline shows her conversation and every line once.
		await page.waitForSelector('[data-testid="patient-timeline"] [data-kind="thread"]');
		// Synced, the device knows this one does not exist.
		await page.goto(`${server.url}/patients/${'a'.repeat(ipekUrl.split('/').pop()!.length)}`);
		await page.waitForSelector(`${PAGE} [data-testid="patient-missing"]`);
		expect(LOADING).not.toContain((await page.locator('[data-testid="patient-missing"]').textContent())?.trim());
		await page.close();
	});
});
