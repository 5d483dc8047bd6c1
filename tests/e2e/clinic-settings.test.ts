import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { login as apiLogin } from '../helpers/client.ts';
import { pickPatient } from '../helpers/schedule.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// An admin runs the clinic's settings on a landscape tablet while a second admin device (portrait) and a
// receptionist's device show the appointment book, all in Chromium against the built app on the real server.
let server: ServerProcess;
let browser: Browser;
let admin: TestUser;
let reception: TestUser;
let ids: Record<'ayse' | 'mehmet' | 'elif', string>;
type Device = { context: BrowserContext; page: Page };
let tablet: Device;
let secondTablet: Device;
let desk: Device;

const DAY_READY = '[data-testid="day-view"][data-ready="true"]';
const appointment = (patient: string) => `[data-testid="appointment"]:has-text("${patient}")`;

async function device(width: number, height: number, user: TestUser): Promise<Device> {
	const context = await browser.newContext({ viewport: { width, height }, hasTouch: true });
	const page = await context.newPage();
	await page.goto(`${server.url}/login`);
	await page.fill('input[name="email"]', user.email);
	await page.fill('input[name="password"]', user.password);
	await page.click('button[type="submit"]');
	await page.waitForSelector(DAY_READY);
	return { context, page };
}

async function book(page: Page, patient: string, practitionerId: string, time: string): Promise<void> {
	await page.click('[data-testid="new-appointment"]');
	await pickPatient(page, patient);
	await page.selectOption('select[name="practitionerId"]', practitionerId);
	await page.fill('input[name="time"]', time);
	await page.click('[data-testid="appointment-form"] button[type="submit"]');
	await page.waitForSelector(appointment(patient));
}

/** The schedule's column headers, left to right, as practitioner ids. */
const columns = (page: Page) =>
	page.$$eval('[data-testid="practitioner"]', (nodes) => nodes.map((n) => n.getAttribute('data-id')));

/** Whom the booking dialog offers, as practitioner ids. */
async function offeredForBooking(page: Page): Promise<string[]> {
	await page.click('[data-testid="new-appointment"]');
	const offered = await page.$$eval('select[name="practitionerId"] option', (nodes) =>
		nodes.map((n) => n.getAttribute('value')!)
	);
	await page.keyboard.press('Escape');
	await page.waitForSelector('[data-testid="appointment-form"]', { state: 'detached' });
	return offered;
}

const settingsOrder = (page: Page) =>
	page.$$eval('[data-testid="entry"]', (nodes) => nodes.map((n) => n.getAttribute('data-id')));

async function waitForColumns(page: Page, expected: string[]): Promise<void> {
	await page.waitForFunction(
		(want) =>
			JSON.stringify([...document.querySelectorAll('[data-testid="practitioner"]')].map((n) => n.getAttribute('data-id'))) ===
			JSON.stringify(want),
		expected
	);
}

beforeAll(async () => {
	const env = testEnv();
	const clinic = await createClinic(env, 'Ayarlar Klinik');
	admin = await createUser(env, clinic, 'admin');
	reception = await createUser(env, clinic, 'reception');
	server = await ServerProcess.start(env);
	const cookie = await apiLogin(server.url, admin.email, admin.password);
	const [ayse, mehmet, elif] = await seedPractitioners(server.wsUrl, server.url, cookie, clinic, [
		'Dr. Ayşe Yılmaz',
		'Dr. Mehmet Demir',
		'Dyt. Elif Kaya'
	]);
	ids = { ayse: ayse.id, mehmet: mehmet.id, elif: elif.id };
	browser = await launchChromium();
	tablet = await device(1280, 800, admin);
	secondTablet = await device(800, 1280, admin);
	desk = await device(1024, 768, reception);
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

describe('clinic settings by an admin, and the role rules of the appointment book', () => {
	it('the book starts with the practitioners in the order they were added', async () => {
		expect(await columns(tablet.page)).toEqual([ids.ayse, ids.mehmet, ids.elif]);
		await book(tablet.page, 'Zeynep Arslan', ids.ayse, '10:00');
		await book(tablet.page, 'Can Öztürk', ids.mehmet, '11:00');
		await desk.page.waitForSelector(appointment('Can Öztürk'));
	});

	it('an admin sets a weekday with a break; a wrong interval is refused with a message and nothing is saved', async () => {
		const page = tablet.page;
		await page.goto(`${server.url}/settings/clinic`);
		await page.waitForSelector('[data-testid="clinic-settings"][data-ready="true"]');
		const saturday = '[data-testid="hours-day"][data-day="sat"]';
		await page.fill(`${saturday} input[name="to"]`, '12:00');
		await page.click(`${saturday} [data-testid="add-interval"]`);
		const second = `${saturday} [data-testid="interval"]:nth-child(2)`;
		await page.fill(`${second} input[name="from"]`, '11:00');
		await page.fill(`${second} input[name="to"]`, '16:00');
		await page.click(`${saturday} [data-testid="save-hours"]`);
		await page.waitForSelector(`${saturday} [role="alert"]`);

		await page.fill(`${second} input[name="from"]`, '13:00');
		await page.click(`${saturday} [data-testid="save-hours"]`);
		await page.waitForSelector(`${saturday}[data-dirty="false"]`);

		await page.reload();
		await page.waitForSelector('[data-testid="clinic-settings"][data-ready="true"]');
		const intervals = await page.$$eval(`${saturday} [data-testid="interval"]`, (rows) =>
			rows.map((r) => [...r.querySelectorAll('input')].map((i) => i.value).join('-'))
		);
		expect(intervals).toEqual(['09:00-12:00', '13:00-16:00']);
	});

	it('an admin reorders practitioners by keyboard and deactivates one (asked first)', async () => {
		const page = tablet.page;
		await page.goto(`${server.url}/settings/practitioners`);
		await page.waitForSelector('[data-testid="practitioner-settings"][data-ready="true"]');
		expect(await settingsOrder(page)).toEqual([ids.ayse, ids.mehmet, ids.elif]);

		await page.focus(`[data-id="${ids.elif}"] [data-move="up"]`);
		await page.keyboard.press('Enter');
		await page.waitForFunction(
			(id) => document.querySelectorAll('[data-testid="entry"]')[1]?.getAttribute('data-id') === id,
			ids.elif
		);
		// Focus stayed on the moved row's button, so a second press moves it again.
		await page.keyboard.press('Enter');
		await page.waitForFunction(
			(id) => document.querySelectorAll('[data-testid="entry"]')[0]?.getAttribute('data-id') === id,
			ids.elif
		);

		await page.click(`[data-id="${ids.mehmet}"] [data-testid="deactivate"]`);
		await page.waitForSelector('[data-testid="confirm-dialog"]');
		expect(await page.getAttribute(`[data-id="${ids.mehmet}"]`, 'data-active')).toBe('true');
		await page.click('[data-testid="confirm"]');
		await page.waitForSelector(`[data-testid="entry"][data-id="${ids.mehmet}"][data-active="false"]`);

		await page.reload();
		await page.waitForSelector('[data-testid="practitioner-settings"][data-ready="true"]');
		expect(await settingsOrder(page)).toEqual([ids.elif, ids.ayse, ids.mehmet]);
	});

	it('after a reload and on a second device the columns are in the new order, and the deactivated one is not offered', async () => {
		// Mehmet keeps his column for the appointment he already has, marked as no longer taking bookings.
		const expected = [ids.elif, ids.ayse, ids.mehmet];
		await tablet.page.goto(`${server.url}/schedule`);
		await tablet.page.waitForSelector(DAY_READY);
		await waitForColumns(tablet.page, expected);
		await waitForColumns(secondTablet.page, expected);
		for (const page of [tablet.page, secondTablet.page]) {
			expect(await page.getAttribute(`[data-testid="practitioner"][data-id="${ids.mehmet}"]`, 'data-active')).toBe('false');
			await page.waitForSelector(appointment('Can Öztürk'));
			expect(await offeredForBooking(page)).toEqual([ids.elif, ids.ayse]);
		}
		await secondTablet.page.reload();
		await secondTablet.page.waitForSelector(DAY_READY);
		await waitForColumns(secondTablet.page, expected);
	});

	it('a closed day set by an admin shows on the book of another device, and goes when removed (asked first)', async () => {
		const page = tablet.page;
		const today = await secondTablet.page.getAttribute('[data-testid="day-view"]', 'data-day');
		await page.goto(`${server.url}/settings/clinic`);
		await page.waitForSelector('[data-testid="clinic-settings"][data-ready="true"]');
		await page.fill('[data-testid="closed-days"] input[name="date"]', today!);
		await page.fill('[data-testid="closed-days"] input[name="label"]', 'Kurum tatili');
		await page.click('[data-testid="closed-days"] button[type="submit"]');
		await page.waitForSelector('[data-testid="closed-day"]:has-text("Kurum tatili")');
		await secondTablet.page.waitForSelector('[data-testid="day-view"] [data-testid="closed-day"]:has-text("Kurum tatili")');

		await page.click('[data-testid="closed-day"] button');
		await page.click('[data-testid="confirm"]');
		await page.waitForSelector('[data-testid="closed-day"]', { state: 'detached' });
		await secondTablet.page.waitForSelector('[data-testid="day-view"] [data-testid="closed-day"]', { state: 'detached' });
		await page.goto(`${server.url}/schedule`);
		await page.waitForSelector(DAY_READY);
	});

	it('a receptionist cancels an appointment an admin made, and is not offered to delete it', async () => {
		const page = desk.page;
		await page.click(appointment('Zeynep Arslan'));
		await page.waitForSelector('[data-testid="appointment-form"]');
		expect(await page.$('[data-testid="delete-appointment"]')).toBeNull();
		await page.click('[data-testid="cancel-appointment"]');
		await page.waitForSelector('[data-testid="confirm-dialog"]');
		await page.click('[data-testid="confirm"]');
		await page.waitForSelector('[data-testid="appointment-form"]', { state: 'detached' });

		// Still in the book on every device, shown as cancelled.
		await page.waitForSelector(`${appointment('Zeynep Arslan')}[data-status="cancelled"]`);
		await tablet.page.waitForSelector(`${appointment('Zeynep Arslan')}[data-status="cancelled"]`);
		expect(await tablet.page.$eval(appointment('Zeynep Arslan'), (n) => getComputedStyle(n).textDecorationLine)).toBe(
			'line-through'
		);
	});

	it('a receptionist may delete what she booked herself, after confirming', async () => {
		const page = desk.page;
		await book(page, 'Selin Aydın', ids.ayse, '14:00');
		await page.click(appointment('Selin Aydın'));
		await page.click('[data-testid="delete-appointment"]');
		await page.click('[data-testid="confirm"]');
		await tablet.page.waitForSelector(appointment('Selin Aydın'), { state: 'detached' });
		await page.waitForSelector(appointment('Selin Aydın'), { state: 'detached' });
	});

	it('a receptionist who opens the clinic settings is told they are for admins', async () => {
		await desk.page.goto(`${server.url}/settings/clinic`);
		await desk.page.waitForSelector('[data-testid="admins-only"]');
		expect(await desk.page.$('[data-testid="clinic-settings"]')).toBeNull();
	});

	it('the clinic’s default language speaks on devices where nobody chose one, and not where someone did', async () => {
		await desk.page.goto(`${server.url}/schedule`);
		await desk.page.waitForSelector(DAY_READY);
		// The second tablet's person chooses Turkish for themselves.
		await secondTablet.page.evaluate(() => localStorage.setItem('frontdesk.locale', 'tr'));
		await tablet.page.goto(`${server.url}/settings/clinic`);
		await tablet.page.waitForSelector('[data-testid="clinic-settings"][data-ready="true"]');
		await tablet.page.selectOption('[data-testid="clinic-profile"] select[name="language"]', 'en');
		await tablet.page.click('[data-testid="clinic-profile"] button[type="submit"]');
		await desk.page.waitForFunction(() => document.documentElement.lang === 'en');
		expect(await desk.page.textContent('nav[aria-label] a[href="/schedule"]')).toContain('Schedule');
		await secondTablet.page.reload();
		await secondTablet.page.waitForSelector(DAY_READY);
		expect(await secondTablet.page.textContent('nav[aria-label] a[href="/schedule"]')).toContain('Randevular');
	});
});
