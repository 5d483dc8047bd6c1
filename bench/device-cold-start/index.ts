import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { docNames } from '../../src/lib/domain/docName.ts';
import { addAppointment, monthOf, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { launchChromium } from '../../tests/helpers/browser.ts';
import { connectProvider, login, whenDoc, whenSynced } from '../../tests/helpers/client.ts';
import { CuttableProxy } from '../../tests/helpers/proxy.ts';
import { seedPractitioners } from '../../tests/helpers/seed.ts';
import { createClinic, createUser, ROOT, ServerProcess, testEnv } from '../../tests/helpers/server.ts';
import { untilShown } from '../common/shown.ts';

/**
 * Device cold start in Chromium: navigation → the day view drawn from IndexedDB, and → editable (its month doc
 * loaded), with a month of 2,000 appointments. Reference: the same page on a device with nothing stored yet
 * (everything over the network).
 */
const APPOINTMENTS = 2000;
const RUNS = 7;
/** The day's cards on screen (drawn from the device's table once it holds the month, else from the docs). */
const DRAWN = '[data-testid="day-view"][data-drawn="true"] [data-testid="appointment"]';
/** The month docs loaded too: the cards can be opened and moved. */
const READY = '[data-testid="day-view"][data-ready="true"] [data-testid="appointment"]';

export async function runDeviceColdStart(): Promise<void> {
	if (!fs.existsSync(path.join(ROOT, 'build/handler.js'))) {
		console.log('building the app (npm run build)…');
		const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
		if (build.status !== 0) throw new Error('npm run build failed');
	}
	// Info level: the harness waits for the server's "listening" line.
	const env = testEnv();
	const clinic = await createClinic(env, 'Bench Klinik');
	const user = await createUser(env, clinic, 'reception');
	// The directory is the admins' to write (SYNC-ROLE-1); the receptionist opens the day.
	const admin = await createUser(env, clinic, 'admin');
	const server = await ServerProcess.start(env);
	const proxy = await CuttableProxy.start(server.port);
	let browser: Browser | null = null;
	try {
		const cookie = await login(server.url, user.email, user.password);
		const adminCookie = await login(server.url, admin.email, admin.password);
		const practitioners = await seedPractitioners(server.wsUrl, server.url, adminCookie, clinic, [
			'Dr. A',
			'Dr. B',
			'Dr. C',
			'Dr. D'
		]);
		const now = new Date();
		const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
		await seedMonth(
			server,
			cookie,
			clinic,
			day,
			practitioners.map((p) => p.id)
		);

		browser = await launchChromium();
		const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
		const page = await context.newPage();
		const firstLoads: Load[] = [];
		// Reference: a device with nothing stored; sign in, then time a load of the day view from the network.
		await page.goto(`${proxy.url}/login`);
		await page.fill('input[name="email"]', user.email);
		await page.fill('input[name="password"]', user.password);
		await page.click('button[type="submit"]');
		await page.waitForSelector(READY, { timeout: 60_000 });
		for (let i = 0; i < RUNS; i++) {
			await page.evaluate(async () => {
				// Empty the device but keep the session: the next load must fetch everything.
				const dbs = await indexedDB.databases();
				await Promise.all(
					dbs.map(
						(d) =>
							new Promise((r) => {
								const req = indexedDB.deleteDatabase(d.name!);
								req.onsuccess = req.onerror = req.onblocked = r;
							})
					)
				);
			});
			await page.goto('about:blank');
			firstLoads.push(await timeLoad(page, `${proxy.url}/schedule`));
		}
		const online: Load[] = [];
		for (let i = 0; i < RUNS; i++) {
			await page.goto('about:blank');
			online.push(await timeLoad(page, `${proxy.url}/schedule`));
		}
		await proxy.cut();
		await context.setOffline(true);
		const offline: Load[] = [];
		for (let i = 0; i < RUNS; i++) {
			await page.goto('about:blank');
			offline.push(await timeLoad(page, `${proxy.url}/schedule`));
		}
		const rendered = await page.$$eval('[data-testid="appointment"]', (n) => n.length);

		const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
		const max = (xs: number[]) => Math.max(...xs);
		console.log(
			`month of ${APPOINTMENTS} appointments, ${rendered} on the day shown; ${RUNS} runs each; Chromium ${browser.version()}`
		);
		const row = (start: string, loads: Load[]) => ({
			start,
			'drawn, median ms': median(loads.map((l) => l.drawn)),
			'drawn, max ms': max(loads.map((l) => l.drawn)),
			'editable, median ms': median(loads.map((l) => l.ready)),
			'editable, max ms': max(loads.map((l) => l.ready))
		});
		console.table([
			row('reference: empty device, over the network', firstLoads),
			row('ours: from IndexedDB, online', online),
			row('ours: from IndexedDB, offline', offline)
		]);
	} finally {
		await browser?.close();
		await proxy.cut();
		await server.stop();
	}
}

interface Load {
	/** Milliseconds from starting the navigation to the day's appointments on screen. */
	drawn: number;
	/** …and to their month docs loaded (editable). */
	ready: number;
}

async function timeLoad(page: Page, url: string): Promise<Load> {
	const t0 = performance.now();
	await page.goto(url);
	await untilShown(page, DRAWN, 60_000);
	const drawn = Math.round(performance.now() - t0);
	await untilShown(page, READY, 60_000);
	return { drawn, ready: Math.round(performance.now() - t0) };
}

/** A busy month: 2,000 appointments spread over its days (about 65 a day). */
async function seedMonth(
	server: ServerProcess,
	cookie: string,
	clinicId: string,
	day: string,
	practitionerIds: string[]
): Promise<void> {
	const month = monthOf(day);
	const name = docNames.schedule(clinicId, month);
	const writer = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
	await whenSynced(writer);
	const schedule = scheduleDoc(name, writer.doc);
	const days = new Date(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0).getDate();
	writer.doc.transact(() => {
		for (let i = 0; i < APPOINTMENTS; i++) {
			const d = `${month}-${String(1 + (i % days)).padStart(2, '0')}`;
			const minute = 8 * 60 + ((i * 15) % (12 * 60));
			addAppointment(schedule, {
				practitionerId: practitionerIds[i % practitionerIds.length],
				start: `${d}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`,
				durationMinutes: 15,
				patientName: `Hasta ${i}`
			});
		}
	});
	const reader = connectProvider(server.wsUrl, docNames.schedule(clinicId, month), { cookie, origin: server.url });
	await whenDoc(reader.doc, (d) => d.getMap('appointments').size >= APPOINTMENTS);
	reader.destroy();
	writer.destroy();
}
