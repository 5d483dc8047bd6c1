import fs from 'node:fs';
import type { Page } from 'playwright-core';

/**
 * `BENCH_BROWSER_PROFILE=<file>`: records a V8 CPU profile of the page's renderer while `measured` runs and writes
 * it there (read it with bench/tools/cpuprofile-top.ts), so a slow screen can be taken apart without DevTools.
 * Without the variable it only runs `measured`.
 */
export async function withBrowserProfile<T>(page: Page, measured: () => Promise<T>): Promise<T> {
	const file = process.env.BENCH_BROWSER_PROFILE;
	if (!file) return measured();
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Profiler.enable');
	await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
	await cdp.send('Profiler.start');
	try {
		return await measured();
	} finally {
		const { profile } = await cdp.send('Profiler.stop');
		fs.writeFileSync(file, JSON.stringify(profile));
		console.log(`browser CPU profile written to ${file}`);
		await cdp.detach();
	}
}
