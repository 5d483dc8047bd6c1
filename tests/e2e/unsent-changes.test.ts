import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { docNames } from '../../src/lib/domain/docName.ts';
import { listAppointments } from '../../src/lib/domain/schedule.ts';
import { databaseGone, launchChromium, signIn, waitForPageState } from '../helpers/browser.ts';
import { login as apiLogin, connectProvider, trpc, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import { CuttableProxy } from '../helpers/proxy.ts';
import { bookAppointment } from '../helpers/schedule.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// A receptionist's tablet reaches the server through a proxy the test cuts (Chromium's offline switch leaves open
// websockets open). What it books while cut off must never vanish without a word.
let server: ServerProcess;
let proxy: CuttableProxy;
let browser: Browser;
let user: TestUser;
let clinic: string;
let tablet: { context: BrowserContext; page: Page };

const DAY_READY = '[data-testid="day-view"][data-ready="true"]';
const appointment = (patient: string) => `[data-testid="appointment"]:has-text("${patient}")`;
const statusIs = (status: string) => `[data-testid="sync-status"][data-status="${status}"]`;
const pending = async (page: Page) => Number(await page.getAttribute('[data-testid="sync-status"]', 'data-pending'));
const localDatabases = (page: Page) => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));

/** What a signed-in tablet waits for: the day drawn and the connection up. */
const SIGNED_IN = [DAY_READY, statusIs('online')];

/** Books on the day shown and returns the appointment's start (`YYYY-MM-DDTHH:mm`). */
async function book(page: Page, patient: string, time: string): Promise<string> {
	await bookAppointment(page, { patient, time });
	const booked = await page.waitForSelector(appointment(patient));
	patientIds.set(patient, (await booked.getAttribute('data-patient'))!);
	return (await booked.getAttribute('data-start'))!;
}

/** The contact id of each patient booked, by name. */
const patientIds = new Map<string, string>();

async function goOffline(page: Page): Promise<void> {
	await proxy.cut();
	await page.waitForSelector(statusIs('offline'));
}

/** Resolves once the server's month of `start` shows `patient` there (or, with `gone`, no longer shows them). */
async function onServer(patient: string, start: string, gone = false): Promise<void> {
	const cookie = await apiLogin(server.url, user.email, user.password);
	const provider = connectProvider(server.wsUrl, docNames.schedule(clinic, start.slice(0, 7)), { cookie, origin: server.url });
	const booked = (doc: Y.Doc) => listAppointments(doc).some((a) => a.patientId === patientIds.get(patient) && a.start === start);
	try {
		await withTimeout(whenSynced(provider), 15_000, 'the server’s month');
		await withTimeout(
			whenDoc(provider.doc, (doc) => booked(doc) !== gone),
			15_000,
			`${patient} at ${start} ${gone ? 'gone from' : 'on'} the server`
		);
	} finally {
		provider.destroy();
	}
}

/** The unsent changes a dialog lists, as "action start text". */
const listed = (page: Page, dialog: string) =>
	page.$$eval(`${dialog} [data-testid="unsent-change"]`, (items) =>
		items.map((li) => `${li.getAttribute('data-action')} ${li.getAttribute('data-start')} ${li.textContent?.trim()}`)
	);

beforeAll(async () => {
	const env = testEnv();
	clinic = await createClinic(env, 'Unsent Klinik');
	user = await createUser(env, clinic, 'reception');
	const admin = await createUser(env, clinic, 'admin');
	server = await ServerProcess.start(env);
	await seedPractitioners(server.wsUrl, server.url, await apiLogin(server.url, admin.email, admin.password), clinic, [
		'Dr. Ayşe Yılmaz'
	]);
	proxy = await CuttableProxy.start(server.port);
	browser = await launchChromium();
	// A 10-inch tablet in landscape.
	tablet = await signIn(browser, proxy.url, user, {
		context: { viewport: { width: 1280, height: 800 }, hasTouch: true },
		ready: SIGNED_IN
	});
});

afterAll(async () => {
	await browser?.close();
	await proxy?.cut();
	await server?.stop();
});

describe('never lose what is not yet sent', () => {
	it('sign-out with an offline booking asks first, lists it, and Cancel keeps it until it reaches the server', async () => {
		const { page } = tablet;
		await goOffline(page);
		expect(await page.textContent('[data-testid="sync-announcement"]')).toMatch(/Çevrimdışı/);
		const start = await book(page, 'Zeynep Arslan', '10:00');
		await page.waitForSelector('[data-testid="unsent-badge"]', { state: 'visible' });
		expect(await pending(page)).toBeGreaterThanOrEqual(1);
		// A tablet shows no tooltip: tapping the badge lists what is waiting.
		await page.tap('[data-testid="unsent-badge"]');
		await page.waitForSelector('[data-testid="pending-changes-dialog"] [data-testid="unsent-change"]:has-text("Zeynep Arslan")');
		await page.keyboard.press('Escape');
		await page.waitForSelector('[data-testid="pending-changes-dialog"]', { state: 'detached' });

		await page.click('[data-testid="sign-out"]');
		await page.waitForSelector('[data-testid="sign-out-dialog"][data-step="asking"]');
		// The booking by name and time, and the patient added with it (a change to the patients).
		const all = await listed(page, '[data-testid="sign-out-dialog"]');
		expect(all).toHaveLength(2);
		const lines = all.filter((l) => l.startsWith('added'));
		expect(lines).toHaveLength(1);
		expect(lines[0]).toContain(`added ${start} `);
		expect(lines[0]).toContain('Zeynep Arslan');
		expect(lines[0]).toContain('10:00');

		await page.click('[data-testid="sign-out-cancel"]');
		await page.waitForSelector('[data-testid="sign-out-dialog"]', { state: 'detached' });
		expect(page.url()).toMatch(/\/schedule$/);
		await page.waitForSelector(appointment('Zeynep Arslan'));
		expect(await pending(page)).toBeGreaterThanOrEqual(1);
		expect(await localDatabases(page)).toContain('frontdesk');

		await proxy.connect();
		await page.waitForSelector(`${statusIs('online')}[data-pending="0"]`, { timeout: 30_000 });
		await page.waitForSelector('[data-testid="unsent-badge"]', { state: 'detached' });
		expect(await page.textContent('[data-testid="sync-announcement"]')).toMatch(/Tüm değişiklikler gönderildi/);
		await onServer('Zeynep Arslan', start);
	});

	it('an appointment deleted offline is listed as deleted, and counted unsent until the server has the deletion', async () => {
		const { page } = tablet;
		const start = (await page.getAttribute(appointment('Zeynep Arslan'), 'data-start'))!;
		await goOffline(page);
		await page.click(appointment('Zeynep Arslan'));
		await page.click('[data-testid="appointment-form"] [data-testid="delete-appointment"]');
		await page.click('[data-testid="confirm"]');
		await page.waitForSelector(appointment('Zeynep Arslan'), { state: 'detached' });

		await page.click('[data-testid="sign-out"]');
		await page.waitForSelector('[data-testid="sign-out-dialog"][data-step="asking"]');
		expect((await listed(page, '[data-testid="sign-out-dialog"]')).map((line) => line.split(' ')[0])).toEqual(['deleted']);
		await page.click('[data-testid="sign-out-cancel"]');

		await proxy.connect();
		await page.waitForSelector(`${statusIs('online')}[data-pending="0"]`, { timeout: 30_000 });
		await onServer('Zeynep Arslan', start, true);
	});

	it('"wait until sent" waits through the outage and signs out by itself once the booking arrived', async () => {
		const { page } = tablet;
		await goOffline(page);
		const start = await book(page, 'Can Öztürk', '11:00');
		await page.click('[data-testid="sign-out"]');
		await page.click('[data-testid="sign-out-wait"]');
		await page.waitForSelector('[data-testid="sign-out-dialog"][data-step="waiting"] [role="progressbar"]');
		// Cut off, it keeps waiting: nothing is wiped.
		expect(page.url()).toMatch(/\/schedule$/);
		expect(await localDatabases(page)).toContain('frontdesk');

		await proxy.connect();
		await page.waitForURL(/\/login$/, { timeout: 30_000 });
		await waitForPageState(page, databaseGone, 'frontdesk', { what: 'the device database wiped' });
		await onServer('Can Öztürk', start);
	});

	it('a device whose session is revoked elsewhere shows the unsent booking by name and time, and wipes on acknowledgement', async () => {
		const { page } = tablet;
		await signIn(page, proxy.url, user, { ready: SIGNED_IN });
		await goOffline(page);
		const start = await book(page, 'Selin Aydın', '14:30');

		// From another device of the same person: every other session of hers is revoked.
		const cookie = await apiLogin(server.url, user.email, user.password);
		const sessions = (await trpc(server.url, 'auth.sessions', undefined, { cookie, method: 'GET' })).body.result!.data as {
			id: string;
			current: boolean;
		}[];
		for (const s of sessions.filter((s) => !s.current)) {
			expect((await trpc(server.url, 'auth.revoke', { id: s.id }, { cookie })).status).toBe(200);
		}

		await proxy.connect();
		await page.waitForSelector('[data-testid="session-ended-dialog"]', { timeout: 30_000 });
		// Three edits: the booking, the patient added with it, and the month noted on their record (PATIENT-APPT-1);
		// two lines: the booking by name and time, and the changes to the patients.
		const all = await listed(page, '[data-testid="session-ended-dialog"]');
		expect(all).toHaveLength(2);
		const lines = all.filter((l) => l.startsWith('added'));
		expect(lines).toHaveLength(1);
		expect(lines[0]).toContain(`added ${start} `);
		expect(lines[0]).toContain('Selin Aydın');
		expect(lines[0]).toContain('14:30');
		expect(await page.getAttribute('[data-testid="session-ended-dialog"] [data-testid="unsent-count"]', 'data-count')).toBe('3');
		// Not wiped before the person has seen it.
		expect(await localDatabases(page)).toContain('frontdesk');

		await page.click('[data-testid="session-ended-acknowledge"]');
		await page.waitForURL(/\/login$/);
		await page.waitForSelector('[role="alert"]');
		await waitForPageState(page, databaseGone, 'frontdesk', { what: 'the device database wiped' });
		expect(await page.evaluate(() => localStorage.getItem('frontdesk.user'))).toBeNull();
	});

	it('after a reload on Inbox or Patients while online, the status says online, never offline', async () => {
		const { page } = tablet;
		await signIn(page, proxy.url, user, { ready: SIGNED_IN });
		await page.setViewportSize({ width: 800, height: 1280 }); // the tablet turned to portrait
		for (const path of ['/inbox', '/patients']) {
			await page.goto(`${proxy.url}${path}`);
			await page.reload();
			await page.waitForSelector('[data-testid="sync-status"]');
			expect(await page.getAttribute('[data-testid="sync-status"]', 'data-status')).not.toBe('offline');
			await page.waitForSelector(statusIs('online'));
		}
	});
});
