import { appendFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

/** Debian's Chromium, headless, with the flags this machine needs (no sandbox as root, no background traffic). */
const LAUNCH = {
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: [
		'--headless',
		'--no-sandbox',
		'--disable-gpu',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-sync',
		'--no-first-run'
	]
};

export function launchChromium(): Promise<Browser> {
	return chromium.launch(LAUNCH);
}

/** A browser with a real profile: Chromium never offers to install a PWA from an incognito-like context. */
export function launchChromiumProfile(profileDir: string, baseURL: string): Promise<BrowserContext> {
	return chromium.launchPersistentContext(profileDir, { ...LAUNCH, baseURL });
}

/**
 * `E2E_BROWSER_LOG=<file>`: every page signed in here appends its console, its errors and its websockets' opening
 * and closing to the file, with the time: what a failed run under load leaves to read.
 */
const browserLog = process.env.E2E_BROWSER_LOG;
const logged = new WeakSet<Page>();
let pages = 0;

function logPage(page: Page): void {
	if (!browserLog || logged.has(page)) return;
	logged.add(page);
	const name = `page${++pages}`;
	const log = (line: string) => appendFileSync(browserLog, `${new Date().toISOString()} ${name} ${line}\n`);
	page.on('console', (message) => log(`console.${message.type()} ${message.text()}`));
	page.on('pageerror', (error) => log(`pageerror ${error.message}`));
	page.on('framenavigated', (frame) => frame === page.mainFrame() && log(`navigated ${frame.url()}`));
	page.on('websocket', (socket) => {
		log(`ws open ${socket.url()}`);
		socket.on('close', () => log(`ws closed ${socket.url()}`));
		socket.on('socketerror', (error) => log(`ws error ${error}`));
		// Frames by size and first bytes (the mux channel and kind, the sync message type): never their content.
		const head = (payload: string | Buffer) =>
			typeof payload === 'string' ? `text ${payload.length}` : `${payload.length} [${[...payload.subarray(0, 4)].join(',')}]`;
		if (process.env.E2E_BROWSER_LOG_FRAMES) {
			socket.on('framesent', ({ payload }) => log(`ws sent ${head(payload)}`));
			socket.on('framereceived', ({ payload }) => log(`ws received ${head(payload)}`));
		}
	});
}

const DESK: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };

export type SignInOptions = {
	/** Where to go once signed in (the app lands on /schedule), relative to the base URL. */
	path?: string;
	/** Selectors to wait for, in this order, once there. */
	ready?: readonly string[];
	/** The new context's options when signing in from a Browser; a 1280×800 desk unless given. */
	context?: BrowserContextOptions;
};

/**
 * Signs in through the login form, as staff do, so every browser test exercises the real sign-in and a change to
 * it is made here once. From a Browser it opens a fresh device (context); from a Page it signs in again on a device
 * that already exists, e.g. after a sign-out or a revoked session.
 */
export async function signIn(
	on: Browser | Page,
	baseUrl: string,
	user: { email: string; password: string },
	options: SignInOptions = {}
): Promise<{ context: BrowserContext; page: Page }> {
	const page = 'newContext' in on ? await (await on.newContext(options.context ?? DESK)).newPage() : on;
	logPage(page);
	await page.goto(`${baseUrl}/login`);
	await page.fill('input[name="email"]', user.email);
	await page.fill('input[name="password"]', user.password);
	await page.click('button[type="submit"]');
	await page.waitForURL(/\/schedule/);
	if (options.path !== undefined) await page.goto(`${baseUrl}${options.path}`);
	for (const selector of options.ready ?? []) await page.waitForSelector(selector);
	return { context: page.context(), page };
}

/**
 * Waits until `condition`, run in the page, resolves true. For conditions that must await (IndexedDB, storage):
 * Playwright's `waitForFunction` takes the Promise such a function returns as truthy and returns at once, so a wait
 * written with it checks nothing (INBOX-READY-1 went on before the device had the thread, and failed under load).
 * There is no event to await for what IndexedDB holds: it is read again every `interval` ms.
 */
export async function waitForPageState(
	page: Page,
	condition: (arg: string) => Promise<boolean>,
	arg: string,
	{ what, timeout = 30_000, interval = 100 }: { what: string; timeout?: number; interval?: number }
): Promise<void> {
	const deadline = Date.now() + timeout;
	while (!(await page.evaluate(condition, arg))) {
		if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, interval));
	}
}

// The conditions below run in the page: each is passed to `waitForPageState` itself, not called from a closure
// (what Playwright sends to the page is the function's source, without anything it closes over).

/** Whether the device's IndexedDB no longer has a database of this name (the device was wiped). */
export const databaseGone = async (name: string): Promise<boolean> => !(await indexedDB.databases()).some((d) => d.name === name);

/** Whether the device's `indexMarks` table holds this mark (a table built, a thread fetched). */
export const hasIndexMark = (name: string): Promise<boolean> =>
	new Promise<boolean>((resolve, reject) => {
		const open = indexedDB.open('frontdesk');
		open.onerror = () => reject(open.error ?? new Error('cannot open the device database'));
		open.onsuccess = () => {
			const db = open.result;
			if (!db.objectStoreNames.contains('indexMarks')) {
				db.close();
				return resolve(false);
			}
			const get = db.transaction('indexMarks').objectStore('indexMarks').get(name);
			get.onsuccess = () => {
				db.close();
				resolve(get.result !== undefined);
			};
			get.onerror = () => {
				db.close();
				reject(get.error ?? new Error('cannot read indexMarks'));
			};
		};
	});
