import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn } from '../helpers/browser.ts';
import { login as apiLogin } from '../helpers/client.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { bookAppointment } from '../helpers/schedule.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// Two staff devices in Chromium against the built app on the real server. Device B reaches the server through a
// proxy the test can cut, because Chromium's offline switch leaves open websockets open.
let server: ServerProcess;
let proxy: CuttableProxy;
let browser: Browser;
let user: TestUser;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };

const DAY_READY = '[data-testid="day-view"][data-ready="true"]';
const appointment = (patient: string) => `[data-testid="appointment"]:has-text("${patient}")`;

async function signInWithWorker(page: Page, baseUrl: string): Promise<void> {
	await signIn(page, baseUrl, user, { ready: [DAY_READY] });
	// The offline tests reload without a network: the service worker must be in charge first.
	await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
}

async function book(page: Page, patient: string, time: string): Promise<void> {
	await bookAppointment(page, { patient, time });
}

/** What a person compares on two screens: each appointment's patient, time and column. */
function dayOf(page: Page): Promise<string[]> {
	return page.$$eval('[data-testid="appointment"]', (nodes) =>
		nodes
			.map(
				(n) =>
					`${n.getAttribute('data-start')} ${n.getAttribute('data-practitioner')} ${n.textContent?.replace(/\s+/g, ' ').trim()}`
			)
			.sort()
	);
}

const pending = async (page: Page) => Number(await page.getAttribute('[data-testid="sync-status"]', 'data-pending'));
const localDatabases = (page: Page) => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));

beforeAll(async () => {
	const env = testEnv();
	const clinic = await createClinic(env, 'E2E Klinik');
	user = await createUser(env, clinic, 'reception');
	// The directory is the admins' to write (SYNC-ROLE-1); the receptionist works the schedule.
	const admin = await createUser(env, clinic, 'admin');
	server = await ServerProcess.start(env);
	const adminCookie = await apiLogin(server.url, admin.email, admin.password);
	await seedPractitioners(server.wsUrl, server.url, adminCookie, clinic, ['Dr. Ayşe Yılmaz', 'Dr. Mehmet Demir']);
	proxy = await CuttableProxy.start(server.port);
	browser = await launchChromium();
	const contextA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	const contextB = await browser.newContext({ viewport: { width: 1024, height: 768 } });
	a = { context: contextA, page: await contextA.newPage() };
	b = { context: contextB, page: await contextB.newPage() };
	await signInWithWorker(a.page, server.url);
	await signInWithWorker(b.page, proxy.url);
});

afterAll(async () => {
	await browser?.close();
	await proxy?.cut();
	await server?.stop();
});

describe('DEVICE-SYNC-4, DEVICE-SESSION-2, DEVICE-STORE-2: two devices on one appointment book', () => {
	it('an appointment created on one device appears on the other within a second', async () => {
		await a.page.waitForSelector('[data-testid="sync-status"][data-status="online"]');
		await b.page.waitForSelector('[data-testid="sync-status"][data-status="online"]');
		const started = Date.now();
		await book(a.page, 'Zeynep Arslan', '10:00');
		await b.page.waitForSelector(appointment('Zeynep Arslan'), { timeout: 1000 });
		expect(Date.now() - started).toBeLessThan(1500);
		expect(await dayOf(b.page)).toEqual(await dayOf(a.page));
	});

	it('keeps working offline, reload included, and both devices show the same merged day after', async () => {
		await proxy.cut();
		await b.context.setOffline(true);
		await b.page.waitForSelector('[data-testid="sync-status"][data-status="offline"]');

		// A moves Zeynep to 11:30 while B, offline, books two more patients.
		await a.page.click(appointment('Zeynep Arslan'));
		await a.page.fill('input[name="time"]', '11:30');
		await a.page.click('[data-testid="appointment-form"] button[type="submit"]');
		await a.page.waitForSelector('[data-testid="appointment"][data-start$="T11:30"]');
		await book(b.page, 'Can Öztürk', '14:00');
		await book(b.page, 'Selin Aydın', '15:15');
		expect(await pending(b.page)).toBeGreaterThanOrEqual(2);

		// A reload with no network: the app and the day come from the service worker and IndexedDB.
		await b.page.reload();
		await b.page.waitForSelector(DAY_READY);
		await b.page.waitForSelector(appointment('Selin Aydın'));
		await b.page.waitForSelector(appointment('Zeynep Arslan'));
		// Chromium applies the context's offline emulation to a reloaded page a moment after it starts (under CI load the
		// day was drawn first, with `navigator.onLine` still true): the status follows the 'offline' event.
		await b.page.waitForSelector('[data-testid="sync-status"][data-status="offline"]', { timeout: 5000 });
		expect(await pending(b.page)).toBeGreaterThanOrEqual(2);

		await proxy.connect();
		await b.context.setOffline(false);
		await b.page.waitForSelector('[data-testid="appointment"][data-start$="T11:30"]');
		await a.page.waitForSelector(appointment('Selin Aydın'));
		await a.page.waitForSelector(appointment('Can Öztürk'));
		await b.page.waitForSelector('[data-testid="sync-status"][data-status="online"][data-pending="0"]');
		expect(await dayOf(b.page)).toEqual(await dayOf(a.page));
		expect(await dayOf(a.page)).toHaveLength(3);
	});

	it('deletes on one device, gone on the other', async () => {
		await a.page.click(appointment('Can Öztürk'));
		await a.page.click('[data-testid="appointment-form"] [data-testid="delete-appointment"]');
		// Deleting asks first.
		await a.page.click('[data-testid="confirm"]');
		await b.page.waitForSelector(appointment('Can Öztürk'), { state: 'detached', timeout: 1000 });
	});

	it('speaks Turkish by default and English on request, and the choice sticks across reloads', async () => {
		const nav = () => a.page.textContent('nav');
		expect(await nav()).toContain('Randevular');
		await a.page.goto(`${server.url}/settings`);
		await a.page.click('button[lang="en"]');
		await a.page.reload();
		await a.page.waitForSelector('[data-testid="session"]');
		expect(await nav()).toContain('Schedule');
		expect(await a.page.getAttribute('html', 'lang')).toBe('en');
		await a.page.click('button[lang="tr"]');
		expect(await nav()).toContain('Randevular');
		await a.page.goto(`${server.url}/schedule`);
		await a.page.waitForSelector(DAY_READY);
	});

	it('signing out leaves no clinic data on the device', async () => {
		expect(await localDatabases(b.page)).toContain('frontdesk');
		await b.page.click('[data-testid="sign-out"]');
		await b.page.waitForURL(/\/login$/);
		expect(await localDatabases(b.page)).not.toContain('frontdesk');
		expect(await b.page.evaluate(() => localStorage.getItem('frontdesk.user'))).toBeNull();
	});

	it('a session revoked from another device is cut off and wiped at once', async () => {
		await signInWithWorker(b.page, proxy.url);
		expect(await localDatabases(b.page)).toContain('frontdesk');
		await a.page.goto(`${server.url}/settings`);
		await a.page.waitForSelector('[data-testid="session"][data-current="false"]');
		for (;;) {
			const button = await a.page.$('[data-testid="session"][data-current="false"] button');
			if (!button) break;
			const count = (await a.page.$$('[data-testid="session"]')).length;
			await button.click();
			// Signing a device out asks first.
			await a.page.click('[data-testid="confirm"]');
			await a.page.waitForFunction((n) => document.querySelectorAll('[data-testid="session"]').length < n, count);
		}
		await b.page.waitForURL(/\/login$/, { timeout: 3000 });
		await b.page.waitForSelector('[role="alert"]');
		expect(await localDatabases(b.page)).not.toContain('frontdesk');
	});
});
