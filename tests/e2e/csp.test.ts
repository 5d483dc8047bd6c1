import fs from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromiumProfile } from '../helpers/browser.ts';
import { login as apiLogin } from '../helpers/client.ts';
import { seedPractitioners } from '../helpers/seed.ts';
import { createClinic, createUser, ServerProcess, tempDataDir, testEnv, type TestUser } from '../helpers/server.ts';

// Rules HTTP-HEAD-* of docs/spec/http.md in Chromium: the built app, its service worker and offline shell work under
// the CSP, and Chromium reports no violation anywhere along the way.

let server: ServerProcess;
let user: TestUser;
let profileDir: string;
let context: BrowserContext;
let page: Page;
const violations: string[] = [];

const DAY_READY = '[data-testid="day-view"][data-ready="true"]';

beforeAll(async () => {
	const env = testEnv();
	const clinic = await createClinic(env, 'CSP Klinik');
	user = await createUser(env, clinic, 'admin');
	server = await ServerProcess.start(env);
	const cookie = await apiLogin(server.url, user.email, user.password);
	// Practitioner colours reach style attributes: inline styles must keep working.
	await seedPractitioners(server.wsUrl, server.url, cookie, clinic, ['Dr. Ayşe Yılmaz', 'Dr. Mehmet Demir']);
	// A real profile, so the service worker installs and takes over as it does for staff.
	profileDir = tempDataDir('frontdesk-chromium-csp-');
	context = await launchChromiumProfile(profileDir, server.url);
	await context.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			console.error(
				`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`
			);
		});
	});
	page = context.pages()[0] ?? (await context.newPage());
	page.on('console', (message) => {
		if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
	});
});

afterAll(async () => {
	await context?.close();
	await server?.stop();
	if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
});

function directives(policy: string): Map<string, string[]> {
	return new Map(
		policy
			.split(';')
			.map((d) => d.trim().split(/\s+/))
			.filter((parts) => parts[0])
			.map(([name, ...values]) => [name, values])
	);
}

describe('HTTP-HEAD-2: the app under its CSP', () => {
	it('HTTP-HEAD-2: a dynamic page carries SvelteKit’s policy with a nonce and no unsafe-inline script', async () => {
		const res = await page.goto('/login');
		const headers = res!.headers();
		const csp = directives(headers['content-security-policy']);
		expect(csp.get('script-src')).toEqual(expect.arrayContaining(["'self'", expect.stringMatching(/^'nonce-/)]));
		expect(csp.get('script-src')).not.toContain("'unsafe-inline'");
		expect(csp.get('default-src')).toEqual(["'self'"]);
		expect(csp.get('connect-src')).toEqual(["'self'"]);
		expect(csp.get('img-src')).toEqual(["'self'", 'data:', 'blob:']);
		expect(csp.get('object-src')).toEqual(["'none'"]);
		expect(csp.get('base-uri')).toEqual(["'self'"]);
		expect(csp.get('form-action')).toEqual(["'self'"]);
		expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
		expect(headers['x-content-type-options']).toBe('nosniff');
		expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
		// Every inline script on the page carries the nonce.
		const inline = await page.$$eval('script:not([src])', (nodes) => nodes.map((n) => n.nonce));
		expect(inline.length).toBeGreaterThan(0);
		expect(inline.every((nonce) => nonce.length > 0)).toBe(true);
	});

	it('HTTP-HEAD-2: signing in, the day view over tRPC and websockets, and navigating log no violation', async () => {
		await page.fill('input[name="email"]', user.email);
		await page.fill('input[name="password"]', user.password);
		await page.click('button[type="submit"]');
		await page.waitForSelector(DAY_READY);
		await page.waitForSelector('[data-testid="sync-status"][data-status="online"]');
		for (const path of ['/inbox', '/patients', '/settings', '/schedule']) {
			await page.goto(path);
			await page.waitForSelector('[data-app-root]');
		}
		expect(violations).toEqual([]);
	});

	it('HTTP-HEAD-2: the service worker installs and serves the offline shell under the policy', async () => {
		await page.evaluate(async () => {
			await navigator.serviceWorker.ready;
		});
		await page.reload();
		await page.waitForSelector(DAY_READY);
		expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
		// The prerendered shell states its policy with script hashes in a meta tag; the header adds frame-ancestors.
		const shell = await page.request.get('/shell');
		const meta = /<meta http-equiv="content-security-policy" content="([^"]+)"/i.exec(await shell.text())?.[1] ?? '';
		expect(directives(meta).get('script-src')).toEqual(expect.arrayContaining([expect.stringMatching(/^'sha256-/)]));
		expect(shell.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
		expect(violations).toEqual([]);
	});

	it('HTTP-HEAD-1: static assets, the service worker script, the manifest and 404s carry the headers', async () => {
		const manifestHref = await page.getAttribute('link[rel="manifest"]', 'href');
		for (const path of ['/sw.js', '/icons/favicon-32.png', manifestHref!, '/no-such-page']) {
			const res = await page.request.get(path);
			const headers = res.headers();
			expect(headers['content-security-policy'], path).toMatch(/frame-ancestors 'none'/);
			expect(headers['x-content-type-options'], path).toBe('nosniff');
			expect(headers['referrer-policy'], path).toBe('strict-origin-when-cross-origin');
		}
		// The worker's own policy lets it fetch the app's files.
		const sw = directives((await page.request.get('/sw.js')).headers()['content-security-policy']);
		expect(sw.get('default-src')).toEqual(["'self'"]);
	});
});
