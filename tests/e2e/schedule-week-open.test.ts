import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasIndexMark, launchChromium, signIn, waitForPageState } from '../helpers/browser.ts';
import { login as apiLogin } from '../helpers/client.ts';
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

// How the week opens in a clinic of many practitioners (one practitioner's week at a time), and in a clinic of none.
// The week's grid is drawn at once and its cards as soon as the device has read them: drawn early, nothing in it
// may say something false (no "no appointments" before the device has answered, no book in a clinic without
// practitioners).
let server: ServerProcess;
let browser: Browser;
let reception: TestUser;
let emptyClinicUser: TestUser;
let practitioners: { id: string; name: string }[];

const WEDNESDAY = '2027-04-07';
const MONDAY = '2027-04-05';

beforeAll(async () => {
	const env = testEnv();
	const clinic = await createClinic(env, 'Çok Uzmanlı Klinik');
	reception = await createUser(env, clinic, 'reception');
	const admin = await createUser(env, clinic, 'admin');
	const empty = await createClinic(env, 'Yeni Klinik');
	emptyClinicUser = await createUser(env, empty, 'reception');
	server = await ServerProcess.start(env);
	const adminCookie = await apiLogin(server.url, admin.email, admin.password);
	// More practitioners than the week shows side by side: it opens on the first one's week.
	practitioners = await seedPractitioners(server.wsUrl, server.url, adminCookie, clinic, [
		'Dr. Bir',
		'Dr. İki',
		'Dr. Üç',
		'Dr. Dört',
		'Dr. Beş'
	]);
	browser = await launchChromium();
});

afterAll(async () => {
	await browser?.close();
	await server?.stop();
});

/** Whether the device's appointments table holds at least `count` rows of the month (`<month>:<count>`); runs in the page. */
const rowsOfMonth = (arg: string): Promise<boolean> =>
	new Promise<boolean>((resolve, reject) => {
		const [month, count] = arg.split(':');
		const open = indexedDB.open('frontdesk');
		open.onerror = () => reject(open.error ?? new Error('cannot open the device database'));
		open.onsuccess = () => {
			const db = open.result;
			const read = db.transaction('appointmentRows').objectStore('appointmentRows').getAll();
			read.onsuccess = () => {
				db.close();
				resolve((read.result as { month: string }[]).filter((row) => row.month === month).length >= Number(count));
			};
			read.onerror = () => reject(read.error ?? new Error('cannot read the appointments table'));
		};
	});

async function showWeek(page: Page, query = ''): Promise<void> {
	await page.goto(`${server.url}/schedule?day=${WEDNESDAY}&view=week${query}`);
	await page.waitForSelector(`${SCHEDULE_READY}[data-day="${WEDNESDAY}"]`);
}

describe('opening the week', () => {
	it('SCHEDULE-TABLE-1, SCHEDULE-WEEK-OPEN-1 one practitioner’s week of many is drawn from the device with its patients’ names; another’s shows when picked', async () => {
		const { context, page } = await signIn(browser, server.url, reception, { path: `/schedule?day=${WEDNESDAY}&view=week` });
		try {
			await page.waitForSelector(`${SCHEDULE_READY}[data-day="${WEDNESDAY}"]`);
			const [first, second] = practitioners;
			// A new device: the practitioners arrive with the directory's sync, after the device's (empty) copy was read.
			await page.waitForFunction(
				(id) => document.querySelector<HTMLSelectElement>('[data-testid="week-practitioner"]')?.value === id,
				first.id
			);
			// One booking in the first practitioner's week, one in the second's (chosen in the dialog).
			await bookAppointment(page, { patient: 'Birinci Hasta', time: '10:00', phone: '0532 000 11 22' });
			await page.click('[data-testid="new-appointment"]');
			await pickPatient(page, 'İkinci Hasta', '0532 000 33 44');
			await page.selectOption(`${APPOINTMENT_FORM} select[name="practitionerId"]`, second.id);
			await page.fill(`${APPOINTMENT_FORM} input[name="time"]`, '11:00');
			await page.click(`${APPOINTMENT_FORM} button[type="submit"]`);
			await page.waitForSelector(APPOINTMENT_FORM, { state: 'detached' });
			expect(await page.locator(appointmentCard('İkinci Hasta')).count()).toBe(0);
			await waitForPageState(page, hasIndexMark, 'schedule:2027-04', { what: 'the month in the device’s table' });
			await waitForPageState(page, rowsOfMonth, '2027-04:2', { what: 'both bookings in the device’s table' });

			// Reloaded: the cards come from the device's table, each with its patient's name from its first moment.
			await recordFirstCardNames(page);
			await page.reload();
			await page.waitForSelector(`[data-testid="day-view"][data-drawn="true"] ${appointmentCard('Birinci Hasta')}`);
			expect(await firstCardNames(page)).toEqual(['Birinci Hasta']);
			expect(await page.textContent('[data-testid="appointment-count"]')).toMatch(/\b1\b/);

			// The second practitioner's week: their patient's name, read once the first cards were up.
			await page.selectOption('[data-testid="week-practitioner"]', second.id);
			await page.waitForSelector(appointmentCard('İkinci Hasta'));
			expect(await page.locator(appointmentCard('Birinci Hasta')).count()).toBe(0);
			await showWeek(page, `&who=${second.id}`);
			await page.waitForSelector(appointmentCard('İkinci Hasta'));
			expect(await firstCardNames(page)).toEqual(['İkinci Hasta']);
		} finally {
			await context.close();
		}
	});

	it('SCHEDULE-WEEK-OPEN-4 a week the device holds is on screen before the device opens its socket; a week it does not hold is fetched at once; both sync', async () => {
		const { context, page } = await signIn(browser, server.url, reception, { path: '/settings' });
		try {
			// When the page opened its sockets, and when it first painted cards (Element Timing), from the page's start.
			await context.addInitScript(() => {
				const opened: number[] = [];
				const painted: number[] = [];
				Object.assign(window, { opened, painted });
				const Socket = window.WebSocket;
				window.WebSocket = class extends Socket {
					constructor(url: string | URL, protocols?: string | string[]) {
						opened.push(performance.now());
						super(url, protocols);
					}
				};
				new PerformanceObserver((list) => {
					for (const e of list.getEntries() as (PerformanceEntry & { identifier: string; renderTime: number })[])
						if (e.identifier === 'appointment') painted.push(e.renderTime);
				}).observe({ type: 'element', buffered: true });
			});
			const times = () =>
				page.waitForFunction(() => {
					const { opened, painted } = window as unknown as { opened: number[]; painted: number[] };
					return opened.length > 0 && painted.length > 0 ? { socket: opened[0], cards: Math.min(...painted) } : null;
				});
			const online = () => page.waitForSelector('[data-testid="sync-status"][data-status="online"]');
			const week = `/schedule?day=${WEDNESDAY}&view=week`;

			// This device never held the week: it comes over the socket, opened without waiting for cards.
			await page.goto(`${server.url}${week}`);
			await page.waitForSelector(`${SCHEDULE_READY} ${appointmentCard('Birinci Hasta')}`);
			const fetched = (await (await times()).jsonValue())!;
			expect(fetched.socket).toBeLessThan(fetched.cards);
			await online();
			await waitForPageState(page, rowsOfMonth, '2027-04:2', { what: 'the week in the device’s table' });

			// Now it does: the cards first, then the socket, and the page is online again.
			await page.reload();
			await page.waitForSelector(`[data-testid="day-view"][data-drawn="true"] ${appointmentCard('Birinci Hasta')}`);
			const drawn = (await (await times()).jsonValue())!;
			expect(drawn.socket).toBeGreaterThan(drawn.cards);
			await online();
			await page.waitForSelector(SCHEDULE_READY);
		} finally {
			await context.close();
		}
	});

	it('SCHEDULE-WEEK-OPEN-3 the page starts opening the device database before the app loads; a new device gets none from it, a device with one works as before', async () => {
		const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		try {
			// Every opening of a database on the page, with how it ended.
			await context.addInitScript(() => {
				const opens: { name: string; outcome: string }[] = [];
				(window as unknown as { opens: typeof opens }).opens = opens;
				const open = IDBFactory.prototype.open;
				IDBFactory.prototype.open = function (this: IDBFactory, name: string, version?: number) {
					const request = open.call(this, name, version);
					const entry = { name, outcome: 'pending' };
					opens.push(entry);
					request.addEventListener('success', () => (entry.outcome = 'opened'));
					request.addEventListener('error', () => (entry.outcome = request.error?.name ?? 'error'));
					return request;
				};
			});
			const page = await context.newPage();
			await page.goto(`${server.url}/login`);
			const earlyOpening = () =>
				page.waitForFunction(() => {
					const first = (window as unknown as { opens: { name: string; outcome: string }[] }).opens[0];
					return first && first.outcome !== 'pending' ? first : null;
				});
			// A new device: the early opening is given up, and leaves no database behind.
			expect(await (await earlyOpening()).jsonValue()).toEqual({ name: 'frontdesk', outcome: 'AbortError' });
			expect(await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).not.toContain('frontdesk');
			await page.close();

			// Signed in, the app makes its database; on the next start the early opening finds it, and the week opens.
			const { page: signedIn } = await signIn(await context.newPage(), server.url, reception, {
				path: `/schedule?day=${WEDNESDAY}&view=week`
			});
			await signedIn.waitForSelector(`${SCHEDULE_READY}[data-day="${WEDNESDAY}"]`);
			await signedIn.reload();
			await signedIn.waitForSelector(`${SCHEDULE_READY}[data-day="${WEDNESDAY}"]`);
			// The early opening and the app's, both opened.
			const settled = await signedIn.waitForFunction(() => {
				const opens = (window as unknown as { opens: { name: string; outcome: string }[] }).opens;
				return opens.length >= 2 && opens.every((o) => o.outcome !== 'pending') ? opens : null;
			});
			expect(new Set((await settled.jsonValue())!.map((o) => `${o.name}:${o.outcome}`))).toEqual(new Set(['frontdesk:opened']));
		} finally {
			await context.close();
		}
	});

	it('SCHEDULE-WEEK-OPEN-1, SCHEDULE-WEEK-OPEN-2, SCHEDULE-UNHEARD-1 a week without appointments says so once known (offline, a week never on the device is unknown, not empty); a clinic without practitioners has no book', async () => {
		const { context, page } = await signIn(browser, server.url, reception, { path: `/schedule?day=${MONDAY}&view=week` });
		try {
			// What the screen said while a week this device never had opened over the network, at each change.
			await page.addInitScript(() => {
				const said: string[] = [];
				(window as unknown as { said: string[] }).said = said;
				const has = (testid: string) => document.querySelector(`[data-testid="${testid}"]`) !== null;
				new MutationObserver(() => {
					const view = document.querySelector('[data-testid="day-view"]');
					if (!view || !has('calendar')) return;
					const shown = ['schedule-loading', 'schedule-empty', 'appointment-count'].filter(has).join('+');
					said.push(`${view.getAttribute('data-drawn') === 'true' ? 'drawn' : 'busy'}:${shown}`);
				}).observe(document, { subtree: true, childList: true, attributes: true });
			});
			const nextWeek = '2027-05-12';
			await page.goto(`${server.url}/schedule?day=${nextWeek}&view=week`);
			await page.waitForSelector(`${SCHEDULE_READY}[data-day="${nextWeek}"] >> [data-testid="schedule-empty"]`);
			expect(await page.locator('[data-testid="schedule-loading"]').count()).toBe(0);
			const said = [...new Set(await page.evaluate(() => (window as unknown as { said: string[] }).said))];
			// The grid was up before the week was known, saying only that the book is opening; then the empty week.
			expect(said).toContain('busy:schedule-loading');
			expect(said.filter((s) => s.startsWith('busy:') && s !== 'busy:schedule-loading')).toEqual([]);
			expect(said.at(-1)).toBe('drawn:schedule-empty+appointment-count');
			expect(await page.getAttribute('[data-testid="day-view"]', 'aria-busy')).toBe('false');

			// SCHEDULE-UNHEARD-1: offline, a week this device never had is unknown, not empty; online again, it is empty.
			await context.setOffline(true);
			await page.waitForSelector('[data-testid="sync-status"][data-status="offline"]');
			const unknownWeek = '2028-01-12';
			await page.fill('[data-testid="day-view"] input[type="date"]', unknownWeek);
			const unheard = page.locator('[data-testid="schedule-unheard"]');
			await page.waitForSelector(`${SCHEDULE_READY}[data-day="${unknownWeek}"] [data-testid="schedule-unheard"]`);
			expect(await unheard.textContent()).toMatch(/bu cihazda henüz yok/);
			expect(await page.locator('[data-testid="schedule-empty"], [data-testid="appointment-count"]').count()).toBe(0);
			await context.setOffline(false);
			await page.waitForSelector(`[data-day="${unknownWeek}"] [data-testid="schedule-empty"]`);
			expect(await unheard.count()).toBe(0);
		} finally {
			await context.close();
		}
		const other = await signIn(browser, server.url, emptyClinicUser, { path: `/schedule?day=${WEDNESDAY}&view=week` });
		try {
			for (const view of ['week', 'day']) {
				await other.page.goto(`${server.url}/schedule?day=${WEDNESDAY}&view=${view}`);
				await other.page.waitForSelector(`${SCHEDULE_READY}[data-range="${view}"]`);
				await other.page.getByText(/Henüz uzman yok|No practitioners yet/).waitFor();
				expect(await other.page.locator('[data-testid="calendar"]').count()).toBe(0);
				expect(await other.page.locator('[data-testid="schedule-empty"]').count()).toBe(0);
			}
		} finally {
			await other.context.close();
		}
	});
});
