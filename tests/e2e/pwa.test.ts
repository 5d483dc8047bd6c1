import fs from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromiumProfile } from '../helpers/browser.ts';
import { ServerProcess, tempDataDir, testEnv } from '../helpers/server.ts';

// The built app (`npm run test:e2e` builds first) in Debian's Chromium: installable, and opening with no network.

let server: ServerProcess;
let profileDir: string;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
	server = await ServerProcess.start(testEnv());
	// A persistent profile, not browser.newContext(): Chromium never offers to install from an incognito context.
	profileDir = tempDataDir('frontdesk-chromium-');
	context = await launchChromiumProfile(profileDir, server.url);
	page = context.pages()[0] ?? (await context.newPage());
	await page.goto('/');
	await page.waitForSelector('[data-app-root]');
});

afterAll(async () => {
	await context?.close();
	await server?.stop();
	if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
	expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
	return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The worker installs on the first visit but, with registerType 'prompt', only controls pages loaded after that. */
async function untilControlled(): Promise<void> {
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
	});
	if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
		await page.reload();
		await page.waitForSelector('[data-app-root]');
	}
}

describe('DEVICE-PWA-1: installable, and opens offline at any URL', () => {
	it('links a web manifest with the app identity and icons that load', async () => {
		const link = await page.waitForSelector('link[rel="manifest"]', { state: 'attached' });
		const href = new URL((await link.getAttribute('href'))!, server.url).href;
		const res = await page.request.get(href);
		expect(res.status()).toBe(200);
		const manifest = (await res.json()) as {
			icons: { src: string; sizes: string; type: string; purpose?: string }[];
			[key: string]: unknown;
		};
		expect(manifest).toMatchObject({
			name: 'Frontdesk',
			short_name: 'Frontdesk',
			display: 'standalone',
			start_url: '/',
			scope: '/',
			theme_color: '#0f766e',
			background_color: '#f8fafc'
		});
		expect(manifest.description).toEqual(expect.any(String));

		const purposes = manifest.icons.map((icon) => `${icon.sizes} ${icon.purpose ?? 'any'}`).sort();
		expect(purposes).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
		for (const icon of manifest.icons) {
			const iconRes = await page.request.get(new URL(icon.src, href).href);
			expect(iconRes.status(), icon.src).toBe(200);
			expect(iconRes.headers()['content-type'], icon.src).toBe('image/png');
			const { width, height } = pngSize(await iconRes.body());
			expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
		}
	});

	it('is controlled by the service worker after the first load', async () => {
		await untilControlled();
		expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${server.url}/sw.js`);
	});

	it('has no installability errors in Chromium', async () => {
		await untilControlled();
		const cdp = await context.newCDPSession(page);
		try {
			const manifest = await cdp.send('Page.getAppManifest');
			expect(manifest.errors).toEqual([]);
			const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
			expect(installabilityErrors).toEqual([]);
		} finally {
			await cdp.detach();
		}
	});

	it('opens at any app URL with no network', async () => {
		await untilControlled();
		await context.setOffline(true);
		try {
			// The server is out of reach for the page and its worker alike.
			const healthz = await page.evaluate(async () => {
				try {
					return (await fetch('/healthz')).status;
				} catch {
					return 'unreachable';
				}
			});
			expect(healthz).toBe('unreachable');

			await page.reload();
			await page.waitForSelector('[data-app-root]');

			// The worker answers with the precached shell, and SvelteKit's router renders the URL asked for: the
			// password field belongs to /login itself, so this is that route, not the shell's own page.
			const login = await page.goto('/login');
			expect(login?.fromServiceWorker()).toBe(true);
			await page.waitForSelector('[data-app-root] input[type="password"]');
			expect(new URL(page.url()).pathname).toBe('/login');

			const settings = await page.goto('/settings');
			expect(settings?.fromServiceWorker()).toBe(true);
			await page.waitForSelector('[data-app-root]');
			expect(new URL(page.url()).pathname).not.toBe('/shell');

			// Two levels down, where relative asset paths in the shell would point at /patients/_app/….
			const nested = await page.goto('/patients/no-such-patient');
			expect(nested?.fromServiceWorker()).toBe(true);
			await page.waitForSelector('[data-app-root]');
		} finally {
			await context.setOffline(false);
		}
	});
});

describe('DEVICE-PWA-3: addresses the server answers itself reach the server, not the shell', () => {
	it('Google’s consent answer and a media file opened as a page are the server’s answers', async () => {
		await untilControlled();
		// Google sends the browser back here after the consent: the server reads the answer and sends it on.
		const consent = page.waitForResponse((res) => new URL(res.url()).pathname === '/calendar/oauth/callback');
		await page.goto('/calendar/oauth/callback?state=unknown&code=x');
		const answer = await consent;
		expect(answer.fromServiceWorker()).toBe(false);
		expect(answer.status()).toBe(303);
		expect(answer.headers().location).toMatch(/^\/settings\/calendar\?error=/);

		const media = await page.goto('/media/no-such-file');
		expect(media?.fromServiceWorker()).toBe(false);
		expect(media?.status()).toBeGreaterThanOrEqual(400);
	});
});
