import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, signIn } from '../helpers/browser.ts';
import { login as apiLogin } from '../helpers/client.ts';
import { bookAppointment, SCHEDULE_READY } from '../helpers/schedule.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import { createClinic, createUser, ServerProcess, testEnv } from '../helpers/server.ts';

// A card dragged where the dialog would have warned (the lunch break, outside working hours, a clash) asks first,
// and goes back when the person does not move it anyway. The clinic keeps the default hours: weekdays 09:00–12:30
// and 13:30–18:00.
let server: ServerProcess;
let browser: Browser;
let device: { context: BrowserContext; page: Page };

const WEDNESDAY = '2027-04-07';
const cardAt = (start: string) => `[data-testid="appointment"][data-start="${start}"]:has-text("Sürükle Hasta")`;

/** Drags a card by the mouse `dy` pixels down, as a person does. */
async function dragDown(page: Page, selector: string, dy: number): Promise<void> {
	const box = (await page.locator(selector).boundingBox())!;
	const from = { x: box.x + box.width / 2, y: box.y + Math.min(box.height / 2, 10) };
	await page.mouse.move(from.x, from.y);
	await page.mouse.down();
	await page.mouse.move(from.x, from.y + dy / 2, { steps: 5 });
	await page.mouse.move(from.x, from.y + dy, { steps: 5 });
	await page.mouse.up();
}

/** The height of an hour in the time grid: the distance between two hour labels. */
async function hourHeight(page: Page): Promise<number> {
	const rows = page.locator('.ec-body .ec-sidebar .ec-slot');
	return (await rows.nth(2).boundingBox())!.y - (await rows.nth(1).boundingBox())!.y;
}

beforeAll(async () => {
	const env = testEnv();
	const clinic = await createClinic(env, 'Sürükle Klinik');
	const user = await createUser(env, clinic, 'reception');
	const admin = await createUser(env, clinic, 'admin');
	server = await ServerProcess.start(env);
	await seedPractitioners(server.wsUrl, server.url, await apiLogin(server.url, admin.email, admin.password), clinic, [
		'Dr. Öğle Arası'
	]);
	browser = await launchChromium();
	device = await signIn(browser, server.url, user, { path: `/schedule?day=${WEDNESDAY}&view=week` });
	await device.page.waitForSelector(`${SCHEDULE_READY}[data-day="${WEDNESDAY}"]`);
	await device.page.waitForSelector('[data-testid="new-appointment"]:not([disabled])');
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

describe('dragging a card', () => {
	it('SCHEDULE-DRAG-1 into the lunch break asks first: kept where it was unless moved anyway; within working hours it just moves', async () => {
		const { page } = device;
		await bookAppointment(page, { patient: 'Sürükle Hasta', time: '10:00', phone: '0532 444 55 66' });
		const hour = await hourHeight(page);

		// 10:00 → 13:00, in the lunch break: the question, and "cancel" leaves the card at 10:00.
		await dragDown(page, cardAt(`${WEDNESDAY}T10:00`), 3 * hour);
		const question = page.locator('[data-testid="confirm-dialog"]');
		await question.waitFor();
		expect(await question.textContent()).toMatch(/bu saatte çalışmıyor/);
		await page.keyboard.press('Escape');
		await question.waitFor({ state: 'detached' });
		await page.waitForSelector(cardAt(`${WEDNESDAY}T10:00`));
		expect(await page.locator(cardAt(`${WEDNESDAY}T13:00`)).count()).toBe(0);

		// 10:00 → 11:00, a working hour: no question.
		await dragDown(page, cardAt(`${WEDNESDAY}T10:00`), hour);
		await page.waitForSelector(cardAt(`${WEDNESDAY}T11:00`));
		expect(await question.count()).toBe(0);

		// 11:00 → 13:00 again, moved anyway.
		await dragDown(page, cardAt(`${WEDNESDAY}T11:00`), 2 * hour);
		await question.waitFor();
		await question.getByRole('button', { name: 'Yine de taşı' }).click();
		await page.waitForSelector(cardAt(`${WEDNESDAY}T13:00`));
		// Still there once the book is read again: the move was written, not only drawn.
		await page.reload();
		await page.waitForSelector(`${SCHEDULE_READY}[data-day="${WEDNESDAY}"] ${cardAt(`${WEDNESDAY}T13:00`)}`);
	});
});
