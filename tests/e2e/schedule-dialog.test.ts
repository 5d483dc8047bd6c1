import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn } from '../helpers/browser.ts';
import { login as apiLogin } from '../helpers/client.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { APPOINTMENT_FORM, appointmentCard, bookAppointment, SCHEDULE_READY } from '../helpers/schedule.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// The appointment dialog never writes back what the person did not change, and shows live what another device
// did to the open appointment (issue #11: "an edit from another device is lost"). Device B goes through a proxy
// the test can cut.
let server: ServerProcess;
let proxy: CuttableProxy;
let browser: Browser;
let user: TestUser;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };

const FORM = APPOINTMENT_FORM;
const appointment = appointmentCard;

async function book(page: Page, patient: string, time: string, minutes = 30): Promise<void> {
	await bookAppointment(page, { patient, time, minutes, wait: false });
}

async function edit(page: Page, patient: string, fields: Record<string, string>): Promise<void> {
	await page.click(appointment(patient));
	for (const [name, value] of Object.entries(fields)) await page.fill(`${FORM} [name="${name}"]`, value);
	await page.click(`${FORM} button[type="submit"]`);
	await page.waitForSelector(FORM, { state: 'detached' });
}

beforeAll(async () => {
	const env = testEnv();
	const clinic = await createClinic(env, 'Dialog Klinik');
	user = await createUser(env, clinic, 'reception');
	const admin = await createUser(env, clinic, 'admin');
	server = await ServerProcess.start(env);
	const adminCookie = await apiLogin(server.url, admin.email, admin.password);
	await seedPractitioners(server.wsUrl, server.url, adminCookie, clinic, ['Dr. Ayşe Yılmaz']);
	proxy = await CuttableProxy.start(server.port);
	browser = await launchChromium();
	const ready = [SCHEDULE_READY, '[data-testid="sync-status"][data-status="online"]'];
	a = await signIn(browser, server.url, user, { ready });
	b = await signIn(browser, proxy.url, user, { ready });
});

afterAll(async () => {
	await browser?.close();
	await proxy?.cut();
	await server?.stop();
});

describe('the appointment dialog keeps everyone’s edits', () => {
	it('SCHEDULE-APPT-3 A writes a note while B, who opened the dialog before, changes only the time: both edits survive', async () => {
		await book(a.page, 'Deniz Karaca', '10:00');
		await b.page.waitForSelector(appointment('Deniz Karaca'));
		await b.page.click(appointment('Deniz Karaca'));
		// B's network goes before A's note reaches it.
		await proxy.cut();
		await b.context.setOffline(true);
		await b.page.waitForSelector('[data-testid="sync-status"][data-status="offline"]');
		await edit(a.page, 'Deniz Karaca', { note: 'İlk muayene' });
		await b.page.fill(`${FORM} [name="time"]`, '11:30');
		await b.page.click(`${FORM} button[type="submit"]`);
		await b.page.waitForSelector(FORM, { state: 'detached' });

		await proxy.connect();
		await b.context.setOffline(false);
		for (const page of [a.page, b.page]) {
			await page.waitForSelector('[data-testid="appointment"][data-start$="T11:30"]:has-text("Deniz Karaca")');
			await page.click(appointment('Deniz Karaca'));
			await page.waitForFunction((form) => {
				const note = document.querySelector<HTMLTextAreaElement>(`${form} [name="note"]`);
				return note?.value === 'İlk muayene';
			}, FORM);
			await page.keyboard.press('Escape');
			await page.waitForSelector(FORM, { state: 'detached' });
		}
	});

	it('an open dialog shows at once that the appointment changed, and then that it was deleted', async () => {
		await b.page.waitForSelector('[data-testid="sync-status"][data-status="online"][data-pending="0"]');
		await b.page.click(appointment('Deniz Karaca'));
		await b.page.fill(`${FORM} [name="note"]`, 'Prefers mornings');
		await edit(a.page, 'Deniz Karaca', { durationMinutes: '45' });
		await b.page.waitForSelector('[data-testid="changed-elsewhere"][data-kind="changed"]');
		// The field B did not touch shows A's value; B's own note stays as typed.
		expect(await b.page.inputValue(`${FORM} [name="durationMinutes"]`)).toBe('45');
		expect(await b.page.inputValue(`${FORM} [name="note"]`)).toBe('Prefers mornings');

		await a.page.click(appointment('Deniz Karaca'));
		await a.page.click(`${FORM} [data-testid="delete-appointment"]`);
		await a.page.click('[data-testid="confirm"]');
		await b.page.waitForSelector('[data-testid="changed-elsewhere"][data-kind="deleted"]');
		expect(await b.page.isDisabled(`${FORM} button[type="submit"]`)).toBe(true);
		await b.page.keyboard.press('Escape');
	});

	it('23:30 for 120 minutes is refused with a reason, and nothing is booked', async () => {
		await book(a.page, 'Gece Hastası', '23:30', 120);
		await a.page.waitForSelector(`${FORM} [role="alert"]`);
		expect(await a.page.textContent(`${FORM} [role="alert"]`)).toMatch(/gece yarısından sonra|after midnight/);
		await a.page.keyboard.press('Escape');
		expect(await a.page.$(appointment('Gece Hastası'))).toBeNull();
	});

	it('SCHEDULE-VIEW-2 the dialog says which day it books, and moves an appointment to another day', async () => {
		await book(a.page, 'Umut Şahin', '09:00');
		await a.page.waitForSelector(appointment('Umut Şahin'));
		const day = (await a.page.getAttribute('[data-testid="day-view"]', 'data-day'))!;
		await a.page.click(appointment('Umut Şahin'));
		expect(await a.page.inputValue(`${FORM} [name="day"]`)).toBe(day);
		const target = nextDay(day);
		await a.page.fill(`${FORM} [name="day"]`, target);
		await a.page.click(`${FORM} button[type="submit"]`);
		await a.page.waitForSelector(appointment('Umut Şahin'), { state: 'detached' });
		await a.page.click('[aria-label="Sonraki gün"], [aria-label="Next day"]');
		await a.page.waitForSelector(`[data-testid="appointment"][data-start="${target}T09:00"]:has-text("Umut Şahin")`);
		// The day is in the address: a reload stays on it, Back returns to the day before.
		expect(a.page.url()).toContain(`day=${target}`);
		await a.page.reload();
		await a.page.waitForSelector(`${SCHEDULE_READY}[data-day="${target}"] ${appointment('Umut Şahin')}`);
		await a.page.goBack();
		await a.page.waitForSelector(`${SCHEDULE_READY}[data-day="${day}"]`);
	});

	it('SCHEDULE-MOVE-1 an appointment moved to another month is there, on both devices, and no longer in its old month', async () => {
		await book(a.page, 'Ay Sonu', '14:00');
		const day = (await a.page.getAttribute('[data-testid="day-view"]', 'data-day'))!;
		const target = firstOfNextMonth(day);
		await a.page.click(appointment('Ay Sonu'));
		await a.page.fill(`${FORM} [name="day"]`, target);
		await a.page.click(`${FORM} button[type="submit"]`);
		await a.page.waitForSelector(appointment('Ay Sonu'), { state: 'detached' });
		await b.page.waitForSelector(appointment('Ay Sonu'), { state: 'detached' });
		for (const { page } of [a, b]) {
			await page.goto(`${new URL(page.url()).origin}/schedule?day=${target}`);
			await page.waitForSelector(
				`${SCHEDULE_READY}[data-day="${target}"] [data-testid="appointment"][data-start="${target}T14:00"]:has-text("Ay Sonu")`
			);
		}
		expect(await a.page.locator(appointment('Ay Sonu')).count()).toBe(1);
		for (const { page } of [a, b]) await page.goto(`${new URL(page.url()).origin}/schedule?day=${day}`);
		await a.page.waitForSelector(`${SCHEDULE_READY}[data-day="${day}"]`);
		expect(await a.page.locator(appointment('Ay Sonu')).count()).toBe(0);
	});
});

/** The day after `day` (`YYYY-MM-DD`). */
function nextDay(day: string): string {
	const d = new Date(`${day}T12:00:00Z`);
	d.setUTCDate(d.getUTCDate() + 1);
	return d.toISOString().slice(0, 10);
}

function firstOfNextMonth(day: string): string {
	const d = new Date(`${day.slice(0, 7)}-01T12:00:00Z`);
	d.setUTCMonth(d.getUTCMonth() + 1);
	return d.toISOString().slice(0, 10);
}
