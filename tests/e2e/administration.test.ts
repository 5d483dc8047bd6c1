import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn } from '../helpers/browser.ts';
import { login as apiLogin } from '../helpers/client.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// An admin on a landscape tablet invites a receptionist, who accepts on a portrait tablet and later signs in at the
// desk PC too; the admin then signs the tablet out. Chromium against the built app on the real server.
let server: ServerProcess;
let browser: Browser;
let admin: TestUser;
type Device = { context: BrowserContext; page: Page };
let adminTablet: Device;
let herTablet: Device;
let herDesk: Device;
let invitationLink: string;

const RECEPTIONIST = { name: 'Selin Aydın', email: `selin-${process.pid}@example.com`, password: 'lavender harbour 42' };
// Her tablet says what it is, so the admin can tell her two devices apart the way staff would.
const IPAD_AGENT =
	'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const DAY_READY = '[data-testid="day-view"][data-ready="true"]';
const ONLINE = '[data-testid="sync-status"][data-status="online"]';
const herCard = `[data-testid="staff-member"][data-email="${RECEPTIONIST.email}"]`;

async function device(width: number, height: number, userAgent?: string): Promise<Device> {
	const context = await browser.newContext({ viewport: { width, height }, hasTouch: true, userAgent });
	return { context, page: await context.newPage() };
}

beforeAll(async () => {
	const env = testEnv();
	const clinic = await createClinic(env, 'Kadıköy Diş');
	admin = await createUser(env, clinic, 'admin');
	server = await ServerProcess.start(env);
	const cookie = await apiLogin(server.url, admin.email, admin.password);
	await seedPractitioners(server.wsUrl, server.url, cookie, clinic, ['Dr. Ayşe Yılmaz']);
	browser = await launchChromium();
	adminTablet = await device(1280, 800);
	herTablet = await device(800, 1280, IPAD_AGENT);
	herDesk = await device(1366, 768);
	await signIn(adminTablet.page, server.url, admin, { ready: [DAY_READY] });
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

describe('ADMIN-INVITE, ADMIN-DEVICES: staff administration from the app', () => {
	it('an admin invites a receptionist from Settings → Staff and is shown a single-use link to pass on', async () => {
		const page = adminTablet.page;
		await page.goto(`${server.url}/settings`);
		await page.click('a[href="/settings/staff"]');
		await page.waitForSelector(`[data-testid="staff-member"][data-email="${admin.email}"]`);

		await page.click('[data-testid="invite-open"]');
		await page.fill('[data-testid="invite-form"] input[name="name"]', RECEPTIONIST.name);
		await page.fill('[data-testid="invite-form"] input[name="email"]', RECEPTIONIST.email);
		await page.selectOption('[data-testid="invite-form"] select[name="role"]', 'reception');
		await page.click('[data-testid="invite-form"] button[type="submit"]');

		invitationLink = await page.inputValue('[data-testid="invitation-link"]');
		expect(invitationLink).toMatch(new RegExp(`^${server.url}/invite#[0-9a-z]{20,64}$`));
		expect(await page.textContent('[data-testid="invitation-expiry"]')).toMatch(/\d/);
		await page.keyboard.press('Escape');
		await page.waitForSelector('[data-testid="invitation-dialog"]', { state: 'detached' });
		// Listed under her name, with the invitation still waiting for her.
		await page.waitForSelector(`${herCard} [data-testid="member-status"]`);
		expect(await page.textContent(herCard)).toContain(RECEPTIONIST.name);
	});

	it('the receptionist opens the link, chooses her password and lands signed in', async () => {
		const page = herTablet.page;
		await page.goto(invitationLink);
		await page.waitForSelector('[data-testid="accept-invitation"]');
		expect(await page.textContent('[data-testid="invitation-for"]')).toContain('Kadıköy Diş');
		expect(await page.inputValue('input[name="email"]')).toBe(RECEPTIONIST.email);

		// A typo in the repetition is caught before anything is sent.
		await page.fill('input[name="password"]', RECEPTIONIST.password);
		await page.fill('input[name="repeat"]', `${RECEPTIONIST.password}!`);
		await page.click('[data-testid="accept-invitation"] button[type="submit"]');
		await page.waitForSelector('[data-testid="accept-invitation"] [role="alert"]');

		await page.fill('input[name="repeat"]', RECEPTIONIST.password);
		await page.click('[data-testid="accept-invitation"] button[type="submit"]');
		await page.waitForURL(/\/schedule$/);
		await page.waitForSelector(DAY_READY);
		await page.waitForSelector(ONLINE);
	});

	it('the link works once: opened again, it says so and points to the admin', async () => {
		const other = await device(1024, 768);
		await other.page.goto(invitationLink);
		await other.page.waitForSelector('[data-testid="invitation-problem"]');
		expect(await other.page.$('[data-testid="accept-invitation"]')).toBeNull();
		await other.context.close();
	});

	it('she signs in on a second device; the admin sees both under her name and signs the tablet out', async () => {
		await signIn(herDesk.page, server.url, RECEPTIONIST, { ready: [DAY_READY] });
		await herDesk.page.waitForSelector(ONLINE);

		const page = adminTablet.page;
		await page.reload();
		await page.waitForSelector(`${herCard} [data-testid="session"] >> nth=1`);
		const devices = await page.$$eval(`${herCard} [data-testid="session-device"]`, (nodes) =>
			nodes.map((n) => n.textContent?.trim())
		);
		expect(devices).toHaveLength(2);
		expect(devices).toEqual(expect.arrayContaining([expect.stringContaining('iPad'), expect.stringContaining('Linux')]));

		await page.click(`${herCard} [data-testid="session"]:has-text("iPad") [data-testid="revoke-session"]`);
		// Nothing happens before the admin confirms.
		await page.waitForSelector('[data-testid="confirm-dialog"]');
		expect(await page.$$(`${herCard} [data-testid="session"]`)).toHaveLength(2);
		await page.click('[data-testid="confirm"]');
		await page.waitForSelector('[data-testid="confirm-dialog"]', { state: 'detached' });
		await page.waitForFunction((card) => document.querySelectorAll(`${card} [data-testid="session"]`).length === 1, herCard);
		expect(await page.textContent(`${herCard} [data-testid="session-device"]`)).toContain('Linux');

		// The tablet is cut off at once; the desk PC keeps working, a reload included.
		await herTablet.page.waitForURL(/\/login$/, { timeout: 5000 });
		await herDesk.page.reload();
		await herDesk.page.waitForSelector(DAY_READY);
		await herDesk.page.waitForSelector(ONLINE);
		expect(herDesk.page.url()).toMatch(/\/schedule$/);
	});

	it('a receptionist has no Staff tab, and the staff page tells her it is for admins', async () => {
		const page = herDesk.page;
		await page.goto(`${server.url}/settings`);
		await page.waitForSelector('[data-testid="my-account"]');
		expect(await page.$('a[href="/settings/staff"]')).toBeNull();
		await page.goto(`${server.url}/settings/staff`);
		await page.waitForSelector('[data-testid="admins-only"]');
		expect(await page.$('[data-testid="staff-member"]')).toBeNull();
	});

	it('Reports shows staff figures to the admin and not to reception', async () => {
		await herDesk.page.goto(`${server.url}/reports`);
		await herDesk.page.waitForSelector('[data-testid="no-staff-figures"]');
		expect(await herDesk.page.$('[data-testid="staff-figures"]')).toBeNull();
		await adminTablet.page.goto(`${server.url}/reports`);
		await adminTablet.page.waitForSelector('[data-testid="staff-figures"][data-state="ready"]');
	});

	it('she changes her password at the desk: the current one is required, and her other devices are signed out', async () => {
		const page = herDesk.page;
		await page.goto(`${server.url}/settings`);
		const form = '[data-testid="change-password"]';
		await page.waitForSelector(form);
		const next = 'quiet meadow river 7';
		await page.fill(`${form} input[name="current"]`, 'not my password at all');
		await page.fill(`${form} input[name="next"]`, next);
		await page.fill(`${form} input[name="repeat"]`, next);
		await page.click(`${form} button[type="submit"]`);
		await page.waitForSelector(`${form} [role="alert"]`);

		// Signed in again on the tablet: that device ends when the password changes; the desk stays.
		await signIn(herTablet.page, server.url, RECEPTIONIST, { ready: [DAY_READY] });
		await herTablet.page.waitForSelector(ONLINE);
		await page.fill(`${form} input[name="current"]`, RECEPTIONIST.password);
		await page.click(`${form} button[type="submit"]`);
		await page.waitForSelector('[data-testid="password-changed"]');
		await herTablet.page.waitForURL(/\/login$/, { timeout: 5000 });
		await page.waitForFunction(() => document.querySelectorAll('[data-testid="session"]').length === 1);
		expect(await page.getAttribute('[data-testid="session"]', 'data-current')).toBe('true');
		await signIn(herTablet.page, server.url, { email: RECEPTIONIST.email, password: next }, { ready: [DAY_READY] });
	});
});
