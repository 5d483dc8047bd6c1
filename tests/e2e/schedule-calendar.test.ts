import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn, waitForPageState } from '../helpers/browser.ts';
import { login as apiLogin, connectProvider, whenSynced, withTimeout } from '../helpers/client.ts';
import { changeAppointment, recordReminder, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import {
	APPOINTMENT_FORM,
	appointmentCard,
	bookAppointment,
	firstCardNames,
	pickPatient,
	recordFirstCardNames,
	SCHEDULE_READY
} from '../helpers/schedule.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// The appointment book as staff use it in Chromium: the week view edited live on two devices, drag to move, a
// clash booked offline, recurring appointments, the patient found by any spelling of a number. Device B goes
// through a proxy the test can cut. A fixed week (Monday 1 March 2027) keeps the days the same on any run.
let server: ServerProcess;
let proxy: CuttableProxy;
let browser: Browser;
let user: TestUser;
let clinicId: string;
let a: { context: BrowserContext; page: Page };
let b: { context: BrowserContext; page: Page };

const FORM = APPOINTMENT_FORM;
const WEDNESDAY = '2027-03-03';
const online = '[data-testid="sync-status"][data-status="online"]';

async function show(page: Page, day: string, view: 'day' | 'week'): Promise<void> {
	await page.goto(`${new URL(page.url()).origin}/schedule?day=${day}&view=${view}`);
	await page.waitForSelector(`${SCHEDULE_READY}[data-day="${day}"][data-range="${view}"]`);
}

const cardAt = (patient: string, start: string) => `[data-testid="appointment"][data-start="${start}"]:has-text("${patient}")`;

/** Drags a card by the mouse to the point (x, y) of the page, as a person does. */
async function drag(page: Page, selector: string, to: { x: number; y?: number; dy?: number }): Promise<void> {
	const box = (await page.locator(selector).boundingBox())!;
	const from = { x: box.x + box.width / 2, y: box.y + Math.min(box.height / 2, 10) };
	await page.mouse.move(from.x, from.y);
	await page.mouse.down();
	const target = { x: to.x, y: to.y ?? from.y + (to.dy ?? 0) };
	await page.mouse.move((from.x + target.x) / 2, (from.y + target.y) / 2, { steps: 5 });
	await page.mouse.move(target.x, target.y, { steps: 5 });
	await page.mouse.up();
}

beforeAll(async () => {
	const env = testEnv();
	const clinic = await createClinic(env, 'Takvim Klinik');
	clinicId = clinic;
	user = await createUser(env, clinic, 'reception');
	const admin = await createUser(env, clinic, 'admin');
	server = await ServerProcess.start(env);
	const adminCookie = await apiLogin(server.url, admin.email, admin.password);
	await seedPractitioners(server.wsUrl, server.url, adminCookie, clinic, ['Dr. Ayşe Yılmaz']);
	proxy = await CuttableProxy.start(server.port);
	browser = await launchChromium();
	a = await signIn(browser, server.url, user, { ready: [SCHEDULE_READY, online] });
	b = await signIn(browser, proxy.url, user, { ready: [SCHEDULE_READY, online] });
});

afterAll(async () => {
	await browser?.close();
	await proxy?.cut();
	await server?.stop();
});

describe('the week view, live on two devices', () => {
	it('SCHEDULE-VIEW-1, SCHEDULE-VIEW-3 a booking made in the week view shows on the other device; dragged to the next day there, it moves here', async () => {
		await show(a.page, WEDNESDAY, 'week');
		await show(b.page, WEDNESDAY, 'week');
		await bookAppointment(a.page, { patient: 'Hafta Hastası', time: '10:00', phone: '0532 111 22 33' });
		await b.page.waitForSelector(cardAt('Hafta Hastası', '2027-03-03T10:00'));

		// SCHEDULE-VIEW-3: with one practitioner the week opens on everyone's; picking one keeps it in the address.
		expect(await b.page.inputValue('[data-testid="week-practitioner"]')).toBe('all');
		const practitioner = (await b.page.getAttribute(cardAt('Hafta Hastası', '2027-03-03T10:00'), 'data-practitioner'))!;
		await b.page.selectOption('[data-testid="week-practitioner"]', practitioner);
		await b.page.waitForURL(new RegExp(`who=${practitioner}`));
		await b.page.waitForSelector(cardAt('Hafta Hastası', '2027-03-03T10:00'));
		const thursday = (await b.page.locator('.ec-body .ec-day.ec-thu').boundingBox())!;
		await drag(b.page, cardAt('Hafta Hastası', '2027-03-03T10:00'), { x: thursday.x + thursday.width / 2 });
		for (const page of [a.page, b.page]) await page.waitForSelector(cardAt('Hafta Hastası', '2027-03-04T10:00'));
	});

	it('SCHEDULE-VIEW-1 dragging a card down an hour in the day view moves it an hour later, also on the other device', async () => {
		await show(a.page, '2027-03-04', 'day');
		await show(b.page, '2027-03-04', 'week');
		// The time column has a label per hour: the distance between two is an hour.
		const rows = a.page.locator('.ec-body .ec-sidebar .ec-slot');
		const first = (await rows.nth(1).boundingBox())!;
		const second = (await rows.nth(2).boundingBox())!;
		const hour = second.y - first.y;
		const card = (await a.page.locator(cardAt('Hafta Hastası', '2027-03-04T10:00')).boundingBox())!;
		await drag(a.page, cardAt('Hafta Hastası', '2027-03-04T10:00'), { x: card.x + card.width / 2, dy: hour });
		for (const page of [a.page, b.page]) await page.waitForSelector(cardAt('Hafta Hastası', '2027-03-04T11:00'));
	});

	it('SCHEDULE-PATIENT-1, SCHEDULE-HOURS-1 the patient is found by any spelling of their number, and a booking outside working hours is warned about', async () => {
		await show(a.page, WEDNESDAY, 'day');
		await a.page.click('[data-testid="new-appointment"]');
		await a.page.fill(`${FORM} input[name="patientSearch"]`, '+90 532 1112233');
		await a.page.waitForSelector(`${FORM} [data-testid="patient-option"]:has-text("Hafta Hastası")`);
		await a.page.fill(`${FORM} input[name="patientSearch"]`, '05321112233');
		await a.page.waitForSelector(`${FORM} [role="listbox"][data-answered="true"]`);
		await a.page.waitForSelector(`${FORM} [data-testid="patient-option"]:has-text("Hafta Hastası")`);
		await a.page.fill(`${FORM} input[name="time"]`, '07:00');
		await a.page.waitForSelector(`${FORM} [data-testid="appointment-warning"]`);
		// A form without a patient says so and books nothing.
		await a.page.click(`${FORM} button[type="submit"]`);
		await a.page.waitForSelector(`${FORM} [role="alert"]`);
		await a.page.keyboard.press('Escape');
		await a.page.waitForSelector(FORM, { state: 'detached' });
		expect(await a.page.locator('[data-testid="appointment"]').count()).toBe(0);
	});
});

describe('clashes made offline', () => {
	it('SCHEDULE-CLASH-1 one device offline books the slot the other booked; once it is back, both show the clash', async () => {
		await show(a.page, WEDNESDAY, 'day');
		await show(b.page, WEDNESDAY, 'day');
		await proxy.cut();
		await b.context.setOffline(true);
		await b.page.waitForSelector('[data-testid="sync-status"][data-status="offline"]');
		await bookAppointment(a.page, { patient: 'Ceren Er', time: '15:00' });
		await bookAppointment(b.page, { patient: 'Kaan Ak', time: '15:15' });
		expect(await b.page.$('[data-testid="clash-banner"]')).toBeNull();

		await proxy.connect();
		await b.context.setOffline(false);
		for (const page of [a.page, b.page]) {
			await page.waitForSelector('[data-testid="clash-banner"] [data-testid="clash"]:has-text("Ceren Er"):has-text("Kaan Ak")');
			expect(await page.getAttribute(appointmentCard('Ceren Er'), 'data-clash')).toBe('true');
			expect(await page.getAttribute(appointmentCard('Kaan Ak'), 'data-clash')).toBe('true');
		}
		// Resolved by moving one: the clash goes on both.
		await a.page.click(appointmentCard('Kaan Ak'));
		await a.page.fill(`${FORM} input[name="time"]`, '16:00');
		await a.page.click(`${FORM} button[type="submit"]`);
		for (const page of [a.page, b.page]) await page.waitForSelector('[data-testid="clash-banner"]', { state: 'detached' });
	});
});

describe('recurring appointments', () => {
	it('SCHEDULE-SERIES-3 a weekly booking makes real occurrences; "this and following" moves the later ones and leaves the earlier', async () => {
		await show(a.page, '2027-03-01', 'day');
		await a.page.click('[data-testid="new-appointment"]');
		await pickPatient(a.page, 'Seri Hasta');
		await a.page.fill(`${FORM} input[name="time"]`, '09:00');
		await a.page.selectOption(`${FORM} select[name="repeatWeeks"]`, '1');
		await a.page.fill(`${FORM} input[name="repeatCount"]`, '3');
		await a.page.click(`${FORM} button[type="submit"]`);
		await a.page.waitForSelector(cardAt('Seri Hasta', '2027-03-01T09:00'));

		await show(a.page, '2027-03-08', 'day');
		await a.page.click(cardAt('Seri Hasta', '2027-03-08T09:00'));
		await a.page.waitForSelector(`${FORM} [data-testid="series-scope"]`);
		await a.page.check(`${FORM} input[name="scope"][value="following"]`);
		await a.page.fill(`${FORM} input[name="time"]`, '10:30');
		await a.page.click(`${FORM} button[type="submit"]`);
		await a.page.waitForSelector(cardAt('Seri Hasta', '2027-03-08T10:30'));

		await show(b.page, '2027-03-15', 'day');
		await b.page.waitForSelector(cardAt('Seri Hasta', '2027-03-15T10:30'));
		await show(b.page, '2027-03-01', 'day');
		await b.page.waitForSelector(cardAt('Seri Hasta', '2027-03-01T09:00'));
	});
});

describe('a patient’s appointments on their page', () => {
	it('PATIENT-APPT-1 the patient page lists their appointments, upcoming and past, each leading to its day', async () => {
		await show(a.page, '2027-03-08', 'day');
		const patientId = (await a.page.getAttribute(cardAt('Seri Hasta', '2027-03-08T10:30'), 'data-patient'))!;
		await a.page.goto(`${new URL(a.page.url()).origin}/patients/${patientId}`);
		await a.page.waitForSelector('[data-testid="timeline-appointment"][data-start="2027-03-15T10:30"]');
		const starts = await a.page.$$eval('[data-testid="timeline-appointment"]', (n) => n.map((x) => x.getAttribute('data-start')));
		// Newest first: the series' three occurrences, the later two moved to 10:30.
		expect(starts).toEqual(['2027-03-15T10:30', '2027-03-08T10:30', '2027-03-01T09:00']);
		await a.page.click('[data-testid="timeline-appointment"][data-start="2027-03-08T10:30"]');
		await a.page.waitForSelector(`${SCHEDULE_READY}[data-day="2027-03-08"] ${cardAt('Seri Hasta', '2027-03-08T10:30')}`);
	});
});

describe('reminders in the dialog', () => {
	it('REMIND-RECORD-1 the appointment dialog says when a reminder went out for it', async () => {
		await show(a.page, '2027-03-15', 'day');
		const card = cardAt('Seri Hasta', '2027-03-15T10:30');
		const id = (await a.page.getAttribute(card, 'data-id'))!;
		const cookie = await apiLogin(server.url, user.email, user.password);
		const name = `${clinicId}/schedule/2027-03`;
		const provider = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		await withTimeout(whenSynced(provider), 5000, 'the month');
		recordReminder(scheduleDoc(name, provider.doc), id, {
			ruleId: 'r24',
			at: '2027-03-14T07:30:00.000Z',
			start: '2027-03-15T10:30'
		});
		await a.page.click(card);
		await a.page.waitForSelector(`${FORM} [data-testid="reminder-sent"]`);
		provider.destroy();
		await a.page.keyboard.press('Escape');
	});
});

describe('the appointments table on the device', () => {
	it('SCHEDULE-TABLE-1 a change from another device reaches this device’s table; offline, a reload draws the week from it', async () => {
		await show(a.page, '2027-03-15', 'week');
		const card = cardAt('Seri Hasta', '2027-03-15T10:30');
		const id = (await a.page.getAttribute(card, 'data-id'))!;
		// Another device moves it to Wednesday at 14:00, through the server.
		const cookie = await apiLogin(server.url, user.email, user.password);
		const name = `${clinicId}/schedule/2027-03`;
		const provider = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
		await withTimeout(whenSynced(provider), 5000, 'the month');
		changeAppointment(scheduleDoc(name, provider.doc), id, { start: '2027-03-17T14:00' });
		await a.page.waitForSelector(cardAt('Seri Hasta', '2027-03-17T14:00'));
		provider.destroy();

		// The device's table holds it as moved (read from IndexedDB as it is, not through the app).
		await waitForPageState(
			a.page,
			(appointmentId) =>
				new Promise<boolean>((resolve) => {
					const open = indexedDB.open('frontdesk');
					open.onsuccess = () => {
						const db = open.result;
						const read = db.transaction('appointmentRows').objectStore('appointmentRows').get(['2027-03', appointmentId]);
						read.onsuccess = () => {
							const row = read.result as { day: string; appointment: { start: string } } | undefined;
							db.close();
							resolve(row?.day === '2027-03-17' && row.appointment.start === '2027-03-17T14:00');
						};
						read.onerror = () => resolve(false);
					};
					open.onerror = () => resolve(false);
				}),
			id,
			{ what: 'the moved appointment in the device’s table' }
		);

		// Offline, the reloaded week is drawn from the table and then from the month doc: the card where it was moved.
		// Each card is drawn with its patient's name, never first with a placeholder (SCHEDULE-TABLE-1): what each card
		// said when it first reached the page is recorded.
		await recordFirstCardNames(a.page);
		await a.context.setOffline(true);
		await a.page.waitForSelector('[data-testid="sync-status"][data-status="offline"]');
		await a.page.reload();
		await a.page.waitForSelector(
			`[data-testid="day-view"][data-drawn="true"][data-day="2027-03-15"] ${cardAt('Seri Hasta', '2027-03-17T14:00')}`
		);
		const firstSaid = await firstCardNames(a.page);
		expect(firstSaid.length).toBeGreaterThan(0);
		expect(firstSaid.filter((said) => said === '…')).toEqual([]);
		await a.page.waitForSelector(`${SCHEDULE_READY}[data-day="2027-03-15"] ${cardAt('Seri Hasta', '2027-03-17T14:00')}`);
		expect(await a.page.locator(cardAt('Seri Hasta', '2027-03-15T10:30')).count()).toBe(0);
		await a.context.setOffline(false);
		await a.page.waitForSelector(online);
	});
});
