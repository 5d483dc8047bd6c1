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
	await page.goto(`${baseUrl}/login`);
	await page.fill('input[name="email"]', user.email);
	await page.fill('input[name="password"]', user.password);
	await page.click('button[type="submit"]');
	await page.waitForURL(/\/schedule/);
	if (options.path !== undefined) await page.goto(`${baseUrl}${options.path}`);
	for (const selector of options.ready ?? []) await page.waitForSelector(selector);
	return { context: page.context(), page };
}
