import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn } from '../helpers/browser.ts';
import { CalendarWrites } from '../helpers/calendarWrites.ts';
import { login as apiLogin } from '../helpers/client.ts';
import { APPOINTMENT_FORM, bookAppointment, pickPatient, SCHEDULE_READY } from '../helpers/schedule.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import { createClinic, createUser, ServerProcess, testEnv, type ServerEnv, type TestUser } from '../helpers/server.ts';

// What the practitioners' Google Calendars put in the book, as staff see it in Chromium: busy times in the day and
// week views, the warning when booking over one, and Google's versions that lost to the book's in the dialog. They
// are written the way the calendar worker writes them (`tests/helpers/calendarWrites.ts`: the server's own
// SyncServer on its store, while the server is stopped), since devices may not write them. A fixed week (Monday
// 5 April 2027) keeps the days the same on any run.
let env: ServerEnv;
let server: ServerProcess;
let browser: Browser;
let clinicId: string;
let reception: TestUser;
let admin: TestUser;
let ayse: string;
let mehmet: string;
let desk: { context: BrowserContext; page: Page };

const FORM = APPOINTMENT_FORM;
const WEDNESDAY = '2027-04-07';
const online = '[data-testid="sync-status"][data-status="online"]';
const busyBlock = (practitioner: string, start: string) =>
	`[data-testid="busy-block"][data-practitioner="${practitioner}"][data-start="${start}"]`;
const busyWarning = `${FORM} [data-testid="appointment-warning"]:has-text("Google")`;
const cardAt = (patient: string, start: string) => `[data-testid="appointment"][data-start="${start}"]:has-text("${patient}")`;

async function show(page: Page, day: string, view: 'day' | 'week', extra = ''): Promise<void> {
	await page.goto(`${new URL(page.url()).origin}/schedule?day=${day}&view=${view}${extra}`);
	await page.waitForSelector(`${SCHEDULE_READY}[data-day="${day}"][data-range="${view}"]`);
}

/** Two animation frames: whatever a click set off has been drawn (nothing to await when nothing should happen). */
const painted = (page: Page) =>
	page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));

/** Presses Tab until the focused element matches `selector` (at most `max` times), as a keyboard user moves. */
async function tabTo(page: Page, selector: string, max = 40): Promise<void> {
	for (let i = 0; i < max; i++) {
		await page.keyboard.press('Tab');
		if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
	}
	throw new Error(`${selector} was not reached with ${max} presses of Tab`);
}

/** Stops the server, writes as the calendar worker, starts it again on the same port. */
async function writeAsCalendar(write: (calendar: CalendarWrites) => Promise<void>): Promise<void> {
	const port = server.port;
	await server.stop();
	const calendar = await CalendarWrites.open(env);
	try {
		await write(calendar);
	} finally {
		await calendar.close();
	}
	server = await ServerProcess.start(env, port);
}

/** The WCAG contrast ratio of an element's text against its own background colour (both opaque). */
async function contrastOf(page: Page, selector: string): Promise<number> {
	return page.$eval(selector, (el) => {
		const style = getComputedStyle(el);
		const rgb = (css: string) =>
			css
				.match(/[\d.]+/g)!
				.slice(0, 3)
				.map(Number);
		const luminance = (css: string) => {
			const [r, g, b] = rgb(css).map((v) => {
				const c = v / 255;
				return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
			});
			return 0.2126 * r + 0.7152 * g + 0.0722 * b;
		};
		const [a, b] = [luminance(style.color), luminance(style.backgroundColor)].sort((x, y) => y - x);
		return (a + 0.05) / (b + 0.05);
	});
}

beforeAll(async () => {
	env = testEnv();
	clinicId = await createClinic(env, 'Google Klinik');
	reception = await createUser(env, clinicId, 'reception');
	admin = await createUser(env, clinicId, 'admin');
	server = await ServerProcess.start(env);
	const cookie = await apiLogin(server.url, admin.email, admin.password);
	[ayse, mehmet] = (
		await seedPractitioners(server.wsUrl, server.url, cookie, clinicId, ['Dr. Ayşe Yılmaz', 'Dr. Mehmet Demir'])
	).map((p) => p.id);
	await writeAsCalendar(async (calendar) => {
		await calendar.busy(clinicId, ayse, 'ayseMeeting', `${WEDNESDAY}T10:00`, `${WEDNESDAY}T12:00`);
		// Two events of Mehmet's at once: one busy time.
		await calendar.busy(clinicId, mehmet, 'mehmetLunch', `${WEDNESDAY}T13:00`, `${WEDNESDAY}T14:00`);
		await calendar.busy(clinicId, mehmet, 'mehmetCall', `${WEDNESDAY}T13:30`, `${WEDNESDAY}T15:00`);
		// A congress from Thursday noon to Friday noon: a piece on each day.
		await calendar.busy(clinicId, ayse, 'ayseCongress', '2027-04-08T12:00', '2027-04-09T12:00');
	});
	browser = await launchChromium();
	desk = await signIn(browser, server.url, reception, { ready: [SCHEDULE_READY, online] });
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

describe('busy times from Google Calendar', () => {
	it('SCHEDULE-GOOGLE-UI-1 the day view shows each busy time in its practitioner’s column, labelled, neither opened nor moved by the pointer', async () => {
		const page = desk.page;
		await show(page, WEDNESDAY, 'day');
		const meeting = busyBlock(ayse, `${WEDNESDAY}T10:00`);
		await page.waitForSelector(meeting);
		// Mehmet's two overlapping events read as one busy time, 13:00 to 15:00.
		await page.waitForSelector(busyBlock(mehmet, `${WEDNESDAY}T13:00`));
		expect(await page.locator('[data-testid="busy-block"]').count()).toBe(2);
		expect(await page.locator(meeting).innerText()).toMatch(/Google/);
		expect(await page.getAttribute(meeting, 'title')).toMatch(/10:00–12:00/);

		// In its practitioner's column, and as tall as two hours.
		for (const [id, start] of [
			[ayse, `${WEDNESDAY}T10:00`],
			[mehmet, `${WEDNESDAY}T13:00`]
		]) {
			const header = page.locator('[role="columnheader"]', {
				has: page.locator(`[data-testid="practitioner"][data-id="${id}"]`)
			});
			const column = (await header.boundingBox())!;
			const block = (await page.locator(busyBlock(id, start)).boundingBox())!;
			expect(block.x + block.width / 2).toBeGreaterThan(column.x);
			expect(block.x + block.width / 2).toBeLessThan(column.x + column.width);
		}
		const rows = page.locator('.ec-body .ec-sidebar .ec-slot');
		const hour = (await rows.nth(2).boundingBox())!.y - (await rows.nth(1).boundingBox())!.y;
		const box = (await page.locator(meeting).boundingBox())!;
		expect(Math.abs(box.height - 2 * hour)).toBeLessThan(4);

		// Its text is readable: at least 4.5:1 against its label.
		expect(await contrastOf(page, `${meeting} .fd-busy-label`)).toBeGreaterThanOrEqual(4.5);

		// A click on it books nothing and opens nothing; a drag moves nothing.
		await page.click(meeting);
		await painted(page);
		expect(await page.locator(FORM).count()).toBe(0);
		await page.mouse.move(box.x + box.width / 2, box.y + 10);
		await page.mouse.down();
		await page.mouse.move(box.x + box.width / 2, box.y + 10 + hour, { steps: 5 });
		await page.mouse.up();
		await painted(page);
		expect(await page.locator(FORM).count()).toBe(0);
		await page.waitForSelector(meeting);

		await page.screenshot({ path: '/tmp/schedule-busy-day.png' });

		// The rooms' columns are not a practitioner's: no busy times there.
		await show(page, WEDNESDAY, 'day', '&columns=rooms');
		await page.waitForSelector('[data-testid="calendar"]');
		expect(await page.locator('[data-testid="busy-block"]').count()).toBe(0);
	});

	it('SCHEDULE-GOOGLE-UI-1 the week view shows everyone’s busy times, each named in a lane of its own, or one practitioner’s', async () => {
		const page = desk.page;
		await show(page, WEDNESDAY, 'week');
		await page.waitForSelector(busyBlock(ayse, `${WEDNESDAY}T10:00`));
		await page.waitForSelector(busyBlock(mehmet, `${WEDNESDAY}T13:00`));
		// The congress: Thursday from noon, Friday until noon.
		await page.waitForSelector(busyBlock(ayse, '2027-04-08T12:00'));
		await page.waitForSelector(busyBlock(ayse, '2027-04-09T00:00'));
		expect(await page.locator(busyBlock(mehmet, `${WEDNESDAY}T13:00`)).innerText()).toContain('Dr. Mehmet Demir');
		const left = (await page.locator(busyBlock(ayse, `${WEDNESDAY}T10:00`)).boundingBox())!;
		const right = (await page.locator(busyBlock(mehmet, `${WEDNESDAY}T13:00`)).boundingBox())!;
		expect(left.x + left.width).toBeLessThanOrEqual(right.x + 1);
		await page.screenshot({ path: '/tmp/schedule-busy-week.png' });

		await page.selectOption('[data-testid="week-practitioner"]', mehmet);
		await page.waitForURL(new RegExp(`who=${mehmet}`));
		await page.waitForSelector(busyBlock(ayse, `${WEDNESDAY}T10:00`), { state: 'detached' });
		expect(await page.locator('[data-testid="busy-block"]').count()).toBe(1);
		await page.waitForSelector(busyBlock(mehmet, `${WEDNESDAY}T13:00`));
	});

	it('SCHEDULE-GOOGLE-UI-3 booking or moving an appointment over a busy time warns in the dialog, and still books', async () => {
		const page = desk.page;
		await show(page, WEDNESDAY, 'day');
		await page.click('[data-testid="new-appointment"]');
		await pickPatient(page, 'Meşgul Saat');
		await page.selectOption(`${FORM} select[name="practitionerId"]`, ayse);
		await page.fill(`${FORM} input[name="time"]`, '11:30');
		await page.waitForSelector(busyWarning);
		// Ending as the busy time begins is no overlap.
		await page.fill(`${FORM} input[name="time"]`, '09:30');
		await page.waitForSelector(busyWarning, { state: 'detached' });
		// Ayşe is busy at 11:30, Mehmet is not.
		await page.fill(`${FORM} input[name="time"]`, '11:30');
		await page.waitForSelector(busyWarning);
		await page.selectOption(`${FORM} select[name="practitionerId"]`, mehmet);
		await page.waitForSelector(busyWarning, { state: 'detached' });
		await page.fill(`${FORM} input[name="time"]`, '14:30');
		await page.waitForSelector(busyWarning);
		await page.click(`${FORM} button[type="submit"]`);
		await page.waitForSelector(FORM, { state: 'detached' });
		await page.waitForSelector(cardAt('Meşgul Saat', `${WEDNESDAY}T14:30`));

		// Moved in the dialog: to a free time no warning, back over the busy time a warning.
		await bookAppointment(page, { patient: 'Taşınan Hasta', time: '16:00' });
		await page.click(cardAt('Taşınan Hasta', `${WEDNESDAY}T16:00`));
		await page.selectOption(`${FORM} select[name="practitionerId"]`, ayse);
		expect(await page.locator(busyWarning).count()).toBe(0);
		await page.fill(`${FORM} input[name="time"]`, '10:15');
		await page.waitForSelector(busyWarning);
		await page.click(`${FORM} button[type="submit"]`);
		await page.waitForSelector(cardAt('Taşınan Hasta', `${WEDNESDAY}T10:15`));
	});
});

describe('Google’s versions that lost to the book’s', () => {
	it('SCHEDULE-GOOGLE-UI-2 the open dialog shows, as the server records them, what was changed or deleted in Google Calendar and that the book was kept', async () => {
		const page = desk.page;
		await show(page, '2027-04-12', 'day');
		await bookAppointment(page, { patient: 'Kayıp Sürüm', time: '09:00' });
		// The booking is on the server before it stops.
		await page.waitForSelector(online);
		const card = cardAt('Kayıp Sürüm', '2027-04-12T09:00');
		const id = (await page.getAttribute(card, 'data-id'))!;
		await page.click(card);
		await page.waitForSelector(FORM);
		expect(await page.locator(`${FORM} [data-testid="lost-version"]`).count()).toBe(0);

		await desk.context.setOffline(true);
		await page.waitForSelector('[data-testid="sync-status"][data-status="offline"]');
		await writeAsCalendar(async (calendar) => {
			await calendar.lostVersion(clinicId, '2027-04', id, {
				id: 'moved',
				at: '2027-04-10T08:15:00.000Z',
				start: '2027-04-13T11:00',
				durationMinutes: 45
			});
			await calendar.lostVersion(clinicId, '2027-04', id, { id: 'deleted', at: '2027-04-11T09:40:00.000Z', deleted: true });
		});
		await desk.context.setOffline(false);

		// Still open: the versions come in as the device catches up, oldest first.
		await page.waitForSelector(`${FORM} [data-testid="lost-version"][data-kind="deleted"]`);
		const versions = page.locator(`${FORM} [data-testid="lost-version"]`);
		expect(await versions.count()).toBe(2);
		expect(await versions.nth(0).getAttribute('data-kind')).toBe('changed');
		const changed = await versions.nth(0).innerText();
		// Google's day and time as wall times, its length, and when the server saw it in the clinic's zone (Istanbul).
		expect(changed).toContain('11:00');
		expect(changed).toContain('45');
		expect(changed).toContain('11:15');
		expect(await versions.nth(1).innerText()).toContain('12:40');
		// Only the record changed: the dialog's fields are the book's, with nothing said to have changed elsewhere.
		expect(await page.inputValue(`${FORM} input[name="time"]`)).toBe('09:00');
		expect(await page.locator('[data-testid="changed-elsewhere"]').count()).toBe(0);
		await page.screenshot({ path: '/tmp/schedule-lost-versions.png' });
		await page.keyboard.press('Escape');
		await page.waitForSelector(FORM, { state: 'detached' });
	});
});

describe('what goes to Google Calendar', () => {
	const SHARE = '[data-testid="calendar-share"][data-ready="true"]';

	it('SCHEDULE-GOOGLE-UI-4 an admin chooses what each appointment tells Google (initials by default); the others see the choice, live, and cannot change it', async () => {
		const office = await signIn(browser, server.url, admin, {
			path: '/settings/calendar',
			ready: [`${SHARE}[data-share="initials"]`]
		});
		try {
			expect(await office.page.isChecked(`${SHARE} input[value="initials"]`)).toBe(true);
			expect(await office.page.locator(`${SHARE} input[type="radio"]:disabled`).count()).toBe(0);
			await office.page.screenshot({ path: '/tmp/settings-calendar.png', fullPage: true });

			// Reception finds it in Settings too, read-only.
			const page = desk.page;
			await page.goto(`${server.url}/settings`);
			await page.click('a[href="/settings/calendar"]');
			await page.waitForSelector(`${SHARE}[data-share="initials"]`);
			expect(await page.locator(`${SHARE} input[type="radio"]:disabled`).count()).toBe(3);
			await page.waitForSelector('[data-testid="admins-only"]');

			await office.page.check(`${SHARE} input[value="name"]`);
			await office.page.waitForSelector(`${SHARE}[data-share="name"]`);
			await page.waitForSelector(`${SHARE}[data-share="name"]`);
			expect(await page.isChecked(`${SHARE} input[value="name"]`)).toBe(true);
			await office.page.check(`${SHARE} input[value="busy"]`);
			await page.waitForSelector(`${SHARE}[data-share="busy"]`);
			await page.screenshot({ path: '/tmp/settings-calendar-reception.png', fullPage: true });
		} finally {
			await office.context.close();
		}
	});
});

describe('the schedule by keyboard', () => {
	it('SCHEDULE-VIEW-4 Tab reaches "New appointment" and each card; Enter books from the dialog, Enter or Space opens a card, and closing it gives the focus back', async () => {
		const page = desk.page;
		await show(page, WEDNESDAY, 'day');
		await page.waitForSelector(cardAt('Taşınan Hasta', `${WEDNESDAY}T10:15`));
		await page.click('[data-testid="schedule-title"]');
		await tabTo(page, '[data-testid="new-appointment"]');
		await page.keyboard.press('Enter');
		await page.waitForSelector(FORM);
		await tabTo(page, `${FORM} input[name="patientSearch"]`);
		await page.keyboard.type('Meşgul Saat');
		await page.waitForSelector(`${FORM} [role="listbox"][data-answered="true"] [data-testid="patient-option"]`);
		await page.keyboard.press('Enter');
		await page.waitForSelector(`${FORM} [data-testid="picked-patient"]:has-text("Meşgul Saat")`);
		await tabTo(page, `${FORM} button[type="submit"]`);
		await page.keyboard.press('Enter');
		await page.waitForSelector(FORM, { state: 'detached' });
		await page.waitForSelector(cardAt('Meşgul Saat', `${WEDNESDAY}T09:00`));

		const card = (start: string) => `.ec-event:has([data-testid="appointment"][data-start="${start}"])`;
		await page.click('[data-testid="schedule-title"]');
		await tabTo(page, card(`${WEDNESDAY}T10:15`));
		// The card with focus is marked: an outline of its own.
		expect(await page.$eval(card(`${WEDNESDAY}T10:15`), (el) => getComputedStyle(el).outlineStyle)).toBe('solid');
		await page.keyboard.press('Enter');
		await page.waitForSelector(FORM);
		expect(await page.inputValue(`${FORM} input[name="time"]`)).toBe('10:15');
		await page.keyboard.press('Escape');
		await page.waitForSelector(FORM, { state: 'detached' });
		await page.waitForFunction((s) => document.activeElement?.matches(s) ?? false, card(`${WEDNESDAY}T10:15`));
		await page.keyboard.press(' ');
		await page.waitForSelector(FORM);
		expect(await page.inputValue(`${FORM} input[name="time"]`)).toBe('10:15');
		await page.keyboard.press('Escape');
		await page.waitForSelector(FORM, { state: 'detached' });
	});
});
