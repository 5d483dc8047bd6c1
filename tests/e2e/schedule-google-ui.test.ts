import { startOfWeek, today } from '@internationalized/date';
import type { calendar_v3 } from '@googleapis/calendar';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TIME_ZONE } from '../../src/lib/domain/clinicSettings.ts';
import { launchChromium, signIn } from '../helpers/browser.ts';
import { login as apiLogin, pollUntil, trpc } from '../helpers/client.ts';
import { FakeGoogle, googleEnv } from '../helpers/fakeGoogle.ts';
import { APPOINTMENT_FORM, bookAppointment, pickPatient, SCHEDULE_READY } from '../helpers/schedule.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import {
	admin as adminCli,
	createClinic,
	createUser,
	freePort,
	ServerProcess,
	testEnv,
	type ServerEnv,
	type TestUser
} from '../helpers/server.ts';

// The practitioners' Google Calendars as staff see them in Chromium, through the real sync: the server talks to a
// local fake of Google (`tests/helpers/fakeGoogle.ts`) with Google's own client. Ayşe connects her calendar in
// Settings (Connect, Google's consent, the calendar picked); Mehmet's is connected by the admin CLI. Events made in
// the fake then reach the screen as busy times and moves, live; an edit on both sides at once leaves Google's
// version on the appointment. The week is three weeks ahead (inside what the server keeps in Google), from Monday.
let env: ServerEnv;
let server: ServerProcess;
let google: FakeGoogle;
let browser: Browser;
let clinicId: string;
let reception: TestUser;
let admin: TestUser;
let adminCookie: string;
let ayse: string;
let mehmet: string;
let ayseUser: TestUser;
let mehmetUser: TestUser;
let desk: { context: BrowserContext; page: Page };

const FORM = APPOINTMENT_FORM;
const MONDAY = startOfWeek(today(DEFAULT_TIME_ZONE).add({ weeks: 3 }), 'tr-TR');
const dayOf = (days: number) => MONDAY.add({ days }).toString();
const WEDNESDAY = dayOf(2);
const THURSDAY = dayOf(3);
const FRIDAY = dayOf(4);
const NEXT_MONDAY = dayOf(7);
const NEXT_TUESDAY = dayOf(8);

/** Each practitioner's own Google account: its refresh token and calendars (Ayşe's main one listed second). */
const AYSE_TOKEN = 'refresh-ayse';
const AYSE_CALENDAR = 'ayse.yilmaz@example.com';
const AYSE_SHARED = 'klinik-ayse@group.calendar.google.com';
const MEHMET_TOKEN = 'refresh-mehmet';
const MEHMET_CALENDAR = 'mehmet.demir@example.com';

const online = '[data-testid="sync-status"][data-status="online"]';
const busyBlock = (practitioner: string, start: string) =>
	`[data-testid="busy-block"][data-practitioner="${practitioner}"][data-start="${start}"]`;
const busyWarning = `${FORM} [data-testid="appointment-warning"]:has-text("Google")`;
const cardAt = (patient: string, start: string) => `[data-testid="appointment"][data-start="${start}"]:has-text("${patient}")`;
const CONNECTIONS = '[data-testid="calendar-connections"][data-ready="true"]';
const connection = (practitioner: string, state?: string) =>
	`${CONNECTIONS} [data-testid="calendar-connection"][data-practitioner="${practitioner}"]${state ? `[data-state="${state}"]` : ''}`;

/** A wall time in Istanbul (UTC+3 all year) as Google holds it. */
const istanbul = (day: string, time: string) => `${day}T${time}:00+03:00`;
/** An event's times, `from` on `day` until `to` on `toDay` (the same day unless given). */
const at = (day: string, from: string, to: string, toDay = day): calendar_v3.Schema$Event => ({
	start: { dateTime: istanbul(day, from) },
	end: { dateTime: istanbul(toDay, to) }
});

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

/** Invites a staff member as this practitioner of the directory, who sets a password (as the invitation page does). */
async function invitePractitioner(practitionerId: string, name: string): Promise<TestUser> {
	const email = `${practitionerId}-${process.pid}@example.com`;
	const invited = await trpc(
		server.url,
		'staff.invite',
		{ name, email, role: 'practitioner', practitionerId },
		{ cookie: adminCookie }
	);
	expect(invited.status).toBe(200);
	const { member, invitation } = invited.body.result!.data as { member: { id: string }; invitation: { token: string } };
	const password = `correct horse ${practitionerId}`;
	expect((await trpc(server.url, 'invitation.accept', { token: invitation.token, password })).status).toBe(200);
	return { id: member.id, clinicId, email, password, name };
}

/** Our event for an appointment in the practitioner's Google Calendar, once the server has put it there. */
async function eventOf(calendarId: string, appointmentId: string): Promise<calendar_v3.Schema$Event> {
	const find = () => google.events(calendarId).find((e) => e.extendedProperties?.private?.frontdeskAppointment === appointmentId);
	await pollUntil(() => find() !== undefined, `the appointment ${appointmentId} in Google`);
	return find()!;
}

/** What the server says of a practitioner's link now (`calendar.status`, as an admin). */
async function linkOf(practitionerId: string): Promise<{ state: string; calendarName: string | null } | undefined> {
	const res = await trpc(server.url, 'calendar.status', undefined, { cookie: adminCookie, method: 'GET' });
	const { links } = res.body.result!.data as { links: { practitionerId: string; state: string; calendarName: string | null }[] };
	return links.find((l) => l.practitionerId === practitionerId);
}

async function linkState(practitionerId: string): Promise<string | undefined> {
	return (await linkOf(practitionerId))?.state;
}

beforeAll(async () => {
	google = await FakeGoogle.start();
	const port = await freePort();
	env = testEnv({
		...googleEnv(google, port),
		// The server looks at every calendar each second: the CLI's link is taken at once.
		CALENDAR_INTERVAL_MS: '1000',
		CALENDAR_RETRY_BASE_MS: '50'
	});
	clinicId = await createClinic(env, 'Google Klinik');
	reception = await createUser(env, clinicId, 'reception');
	admin = await createUser(env, clinicId, 'admin');
	server = await ServerProcess.start(env, port);
	adminCookie = await apiLogin(server.url, admin.email, admin.password);
	[ayse, mehmet] = (
		await seedPractitioners(server.wsUrl, server.url, adminCookie, clinicId, ['Dr. Ayşe Yılmaz', 'Dr. Mehmet Demir'])
	).map((p) => p.id);
	ayseUser = await invitePractitioner(ayse, 'Dr. Ayşe Yılmaz');
	mehmetUser = await invitePractitioner(mehmet, 'Dr. Mehmet Demir');
	google.addAccount({
		refreshToken: AYSE_TOKEN,
		calendars: [
			{ id: AYSE_SHARED, summary: 'Klinik' },
			{ id: AYSE_CALENDAR, summary: 'Ayşe Yılmaz', primary: true }
		]
	});
	google.addAccount({ refreshToken: MEHMET_TOKEN, calendars: [{ id: MEHMET_CALENDAR, summary: 'Mehmet Demir', primary: true }] });
	// Mehmet's own events, there before he is connected: two at once, one busy time. His first listing brings them.
	google.createEvent(MEHMET_CALENDAR, { summary: 'Öğle yemeği', ...at(WEDNESDAY, '13:00', '14:00') });
	google.createEvent(MEHMET_CALENDAR, { summary: 'Telefon', ...at(WEDNESDAY, '13:30', '15:00') });
	const connected = await adminCli(env, ['connect-google', '--user', mehmetUser.id, '--calendar', MEHMET_CALENDAR], MEHMET_TOKEN);
	expect(connected.code, connected.stderr).toBe(0);
	browser = await launchChromium();
	desk = await signIn(browser, server.url, reception, { ready: [SCHEDULE_READY, online] });
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	await google?.close();
});

describe('connecting a Google Calendar', () => {
	it('SCHEDULE-GOOGLE-UI-5 a practitioner connects their own calendar: Connect, Google’s consent, the calendar picked (the main one first), connected', async () => {
		google.consentAs(AYSE_TOKEN);
		const own = await signIn(browser, server.url, ayseUser, { path: '/settings/calendar', ready: [connection(ayse, 'none')] });
		try {
			const page = own.page;
			// Hers only: Mehmet's is not hers to connect.
			expect(await page.locator(`${CONNECTIONS} [data-testid="calendar-connection"]`).count()).toBe(1);
			await page.screenshot({ path: '/tmp/settings-calendar-not-connected.png', fullPage: true });

			// Google's consent screen (the fake consents at once) sends the browser back to pick a calendar.
			await page.click(`${connection(ayse, 'none')} [data-testid="connect"]`);
			const picker = `${connection(ayse, 'picking')} [data-testid="calendar-picker"] select[name="calendarId"]`;
			await page.waitForSelector(picker);
			expect(google.consents.at(-1)).toMatchObject({ access_type: 'offline' });
			expect(await page.$$eval(`${picker} option`, (options) => options.map((o) => (o as HTMLOptionElement).value))).toEqual([
				AYSE_CALENDAR,
				AYSE_SHARED
			]);
			expect(await page.inputValue(picker)).toBe(AYSE_CALENDAR);
			// The way back left the address: a reload does not pick again.
			await page.waitForURL(`${server.url}/settings/calendar`);
			await page.screenshot({ path: '/tmp/settings-calendar-picking.png', fullPage: true });

			await page.click(`${connection(ayse, 'picking')} [data-testid="pick"]`);
			await page.waitForSelector(connection(ayse, 'connected'));
			// Named as in her Google account, not by its id.
			const named = await page.innerText(`${connection(ayse)} [data-testid="connected-calendar"]`);
			expect(named).toContain('Ayşe Yılmaz');
			expect(named).not.toContain(AYSE_CALENDAR);
			await page.screenshot({ path: '/tmp/settings-calendar-connected.png', fullPage: true });
			// The server syncs it from now on: a push channel on her calendar.
			await pollUntil(() => google.channels.some((c) => c.calendarId === AYSE_CALENDAR), 'the push channel on her calendar');

			// Google refused, or something else went wrong: said in words, once.
			await page.goto(`${server.url}/settings/calendar?error=denied`);
			await page.waitForSelector(`${CONNECTIONS} [data-testid="consent-error"]`);
			const denied = await page.innerText('[data-testid="consent-error"]');
			await page.goto(`${server.url}/settings/calendar?error=no_refresh_token`);
			await page.waitForSelector(`${CONNECTIONS} [data-testid="consent-error"]`);
			const noToken = await page.innerText('[data-testid="consent-error"]');
			expect(denied).not.toBe(noToken);
			expect(`${denied} ${noToken}`).not.toContain('calendar.connect');
			await page.waitForURL(`${server.url}/settings/calendar`);
		} finally {
			await own.context.close();
		}
	});

	it('SCHEDULE-GOOGLE-UI-5 an admin sees every practitioner’s calendar, also one the CLI connected; offline, connecting waits for the network', async () => {
		// The CLI gave only the calendar's id: the server's listing names it.
		await pollUntil(async () => (await linkOf(mehmet))?.calendarName === 'Mehmet Demir', 'Mehmet’s calendar named');
		const office = await signIn(browser, server.url, admin, {
			path: '/settings/calendar',
			ready: [connection(ayse, 'connected'), connection(mehmet, 'connected')]
		});
		try {
			const page = office.page;
			const named = await page.innerText(`${connection(mehmet)} [data-testid="connected-calendar"]`);
			expect(named).toContain('Mehmet Demir');
			expect(named).not.toContain(MEHMET_CALENDAR);
			await office.context.setOffline(true);
			await page.waitForSelector(`${CONNECTIONS} [data-testid="connect-offline"]`);
			expect(await page.isDisabled(`${connection(ayse)} [data-testid="disconnect"]`)).toBe(true);
			await page.screenshot({ path: '/tmp/settings-calendar-offline.png', fullPage: true });
			await office.context.setOffline(false);
			await page.waitForSelector('[data-testid="connect-offline"]', { state: 'detached' });
			expect(await page.isDisabled(`${connection(ayse)} [data-testid="disconnect"]`)).toBe(false);
		} finally {
			await office.context.close();
		}
	});
});

describe('busy times from Google Calendar', () => {
	it('SCHEDULE-GOOGLE-UI-1 the day view shows each busy time in its practitioner’s column, labelled, neither opened nor moved by the pointer', async () => {
		const page = desk.page;
		await show(page, WEDNESDAY, 'day');
		// Made in Ayşe's Google Calendar while the desk looks: it shows without a reload, without its title.
		google.createEvent(AYSE_CALENDAR, { summary: 'Yönetim toplantısı', ...at(WEDNESDAY, '10:00', '12:00') });
		// A congress from Thursday noon to Friday noon: a piece on each day.
		google.createEvent(AYSE_CALENDAR, { summary: 'Kongre', ...at(THURSDAY, '12:00', '12:00', FRIDAY) });
		const meeting = busyBlock(ayse, `${WEDNESDAY}T10:00`);
		await page.waitForSelector(meeting);
		// Mehmet's two overlapping events read as one busy time, 13:00 to 15:00.
		await page.waitForSelector(busyBlock(mehmet, `${WEDNESDAY}T13:00`));
		expect(await page.locator('[data-testid="busy-block"]').count()).toBe(2);
		expect(await page.locator(meeting).innerText()).toMatch(/Google/);
		expect(await page.locator(meeting).innerText()).not.toContain('Yönetim');
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
		await page.waitForSelector(busyBlock(ayse, `${THURSDAY}T12:00`));
		await page.waitForSelector(busyBlock(ayse, `${FRIDAY}T00:00`));
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

describe('what is changed in Google Calendar', () => {
	it('SCHEDULE-GOOGLE-UI-1 an appointment moved in its practitioner’s Google Calendar moves on the desk’s screen, live', async () => {
		const page = desk.page;
		await show(page, FRIDAY, 'day');
		await bookAppointment(page, { patient: 'Google Taşıdı', time: '09:00' });
		const id = (await page.getAttribute(cardAt('Google Taşıdı', `${FRIDAY}T09:00`), 'data-id'))!;
		const event = await eventOf(AYSE_CALENDAR, id);
		google.updateEvent(AYSE_CALENDAR, event.id!, at(FRIDAY, '15:00', '15:45'));
		await page.waitForSelector(cardAt('Google Taşıdı', `${FRIDAY}T15:00`));
		await page.click(cardAt('Google Taşıdı', `${FRIDAY}T15:00`));
		expect(await page.inputValue(`${FORM} input[name="durationMinutes"]`)).toBe('45');
		await page.keyboard.press('Escape');
		await page.waitForSelector(FORM, { state: 'detached' });
	});
});

describe('Google’s versions that lost to the book’s', () => {
	it('SCHEDULE-GOOGLE-UI-2 the open dialog shows, as the server records them, what was changed or deleted in Google Calendar and that the book was kept', async () => {
		const page = desk.page;
		await show(page, NEXT_MONDAY, 'day');
		await bookAppointment(page, { patient: 'Kayıp Sürüm', time: '09:00' });
		const id = (await page.getAttribute(cardAt('Kayıp Sürüm', `${NEXT_MONDAY}T09:00`), 'data-id'))!;
		const eventId = (await eventOf(AYSE_CALENDAR, id)).id!;
		const startInGoogle = () =>
			new Date(google.events(AYSE_CALENDAR).find((e) => e.id === eventId)?.start?.dateTime ?? 0).getTime();

		/**
		 * Google and the desk change it at once: Google's answers wait (`pause`) until the desk's change is on the
		 * server, so the server learns of Google's after the book's, whichever way it hears first (its patch refused
		 * with 412, or a listing). `whilePaused` runs before Google answers again.
		 */
		async function atOnce(inGoogle: () => void, from: string, to: string, whilePaused = async () => {}): Promise<void> {
			const release = google.pause();
			try {
				inGoogle();
				await page.click(cardAt('Kayıp Sürüm', `${NEXT_MONDAY}T${from}`));
				await page.fill(`${FORM} input[name="time"]`, to);
				await page.click(`${FORM} button[type="submit"]`);
				await page.waitForSelector(FORM, { state: 'detached' });
				await page.waitForSelector(online);
				await whilePaused();
			} finally {
				release();
			}
		}

		// Moved to Tuesday 11:00 for 45 minutes in Google, to 10:00 in the book: the book's time goes back to Google.
		await atOnce(() => google.updateEvent(AYSE_CALENDAR, eventId, at(NEXT_TUESDAY, '11:00', '11:45')), '09:00', '10:00');
		await pollUntil(
			() => startInGoogle() === new Date(istanbul(NEXT_MONDAY, '10:00')).getTime(),
			'the book’s time back in Google'
		);

		// Deleted in Google while the desk moves it to 10:30; its dialog is open when the server records it.
		await atOnce(
			() => google.deleteEvent(AYSE_CALENDAR, eventId),
			'10:00',
			'10:30',
			async () => {
				await page.click(cardAt('Kayıp Sürüm', `${NEXT_MONDAY}T10:30`));
				await page.waitForSelector(`${FORM} [data-testid="lost-version"][data-kind="changed"]`);
				expect(await page.locator(`${FORM} [data-testid="lost-version"]`).count()).toBe(1);
			}
		);

		// Still open: the deletion comes in as the server records it, after the change (oldest first).
		await page.waitForSelector(`${FORM} [data-testid="lost-version"][data-kind="deleted"]`);
		const versions = page.locator(`${FORM} [data-testid="lost-version"]`);
		expect(await versions.count()).toBe(2);
		expect(await versions.nth(0).getAttribute('data-kind')).toBe('changed');
		// Google's day and time as wall times, and its length.
		const changed = await versions.nth(0).innerText();
		expect(changed).toContain('11:00');
		expect(changed).toContain('45');
		// Only the record changed: the dialog's fields are the book's, with nothing said to have changed elsewhere.
		expect(await page.inputValue(`${FORM} input[name="time"]`)).toBe('10:30');
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
			// Reception has no calendar to connect: nothing of connecting shows.
			expect(await page.locator('[data-testid="calendar-connections"]').count()).toBe(0);

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

describe('reconnecting and disconnecting', () => {
	it('SCHEDULE-GOOGLE-UI-5 a calendar whose access Google withdrew needs reconnecting; an admin reconnects it, then disconnects it after confirming', async () => {
		// Access removed in Mehmet's Google account: the server's next look is refused.
		google.revokeRefreshToken(MEHMET_TOKEN);
		await pollUntil(async () => (await linkState(mehmet)) === 'failing', 'Mehmet’s calendar refused by Google');
		const office = await signIn(browser, server.url, admin, {
			path: '/settings/calendar',
			ready: [connection(mehmet, 'reconnect'), connection(ayse, 'connected')]
		});
		try {
			const page = office.page;
			await page.screenshot({ path: '/tmp/settings-calendar-reconnect.png', fullPage: true });

			// Reconnect: Google's consent again, as Mehmet's account (a new grant), and his calendar picked.
			google.consentAs(MEHMET_TOKEN);
			await page.click(`${connection(mehmet, 'reconnect')} [data-testid="connect"]`);
			await page.waitForSelector(`${connection(mehmet, 'picking')} select[name="calendarId"]`);
			expect(await page.inputValue(`${connection(mehmet)} select[name="calendarId"]`)).toBe(MEHMET_CALENDAR);
			await page.click(`${connection(mehmet, 'picking')} [data-testid="pick"]`);
			await page.waitForSelector(connection(mehmet, 'connected'));
			expect(await linkState(mehmet)).toBe('ok');

			// Disconnect asks first; cancelled, nothing changes.
			await page.click(`${connection(mehmet)} [data-testid="disconnect"]`);
			await page.waitForSelector('[data-testid="confirm-dialog"]');
			// The calendar by its name (the practitioner's own name aside), not by its id.
			const asked = await page.innerText('[data-testid="confirm-dialog"]');
			expect(asked).not.toContain(MEHMET_CALENDAR);
			expect(asked.replaceAll('Dr. Mehmet Demir', '')).toContain('Mehmet Demir');
			await page.keyboard.press('Escape');
			await page.waitForSelector('[data-testid="confirm-dialog"]', { state: 'detached' });
			expect(await linkState(mehmet)).toBe('ok');
			await page.click(`${connection(mehmet)} [data-testid="disconnect"]`);
			await page.click('[data-testid="confirm-dialog"] [data-testid="confirm"]');
			await page.waitForSelector(connection(mehmet, 'none'));
			expect(await linkState(mehmet)).toBeUndefined();
			await page.waitForSelector(connection(ayse, 'connected'));
		} finally {
			await office.context.close();
		}
	});
});
