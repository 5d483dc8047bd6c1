import fs from 'node:fs';
import type { Page } from 'playwright-core';

/**
 * `BENCH_BROWSER_PROFILE=<file>`: records a V8 CPU profile of the page's renderer while `measured` runs and writes
 * it there (read it with bench/tools/cpuprofile-top.ts), so a slow screen can be taken apart without DevTools.
 * `BENCH_BROWSER_TRACE=<file>`: records Chromium's timeline trace instead (style, layout, paint, scripts, tasks of
 * every thread; read it with bench/tools/trace-top.ts), which shows the native work a CPU profile lumps together
 * as "(program)". Without either it only runs `measured`.
 */
export async function withBrowserProfile<T>(page: Page, measured: () => Promise<T>): Promise<T> {
	const trace = process.env.BENCH_BROWSER_TRACE;
	if (trace) return withTrace(page, trace, measured);
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

async function withTrace<T>(page: Page, file: string, measured: () => Promise<T>): Promise<T> {
	const browser = page.context().browser();
	if (!browser) throw new Error('BENCH_BROWSER_TRACE needs a launched browser');
	await browser.startTracing(page, {
		path: file,
		categories: ['devtools.timeline', 'toplevel', 'v8.execute', 'blink', 'blink.user_timing', 'loading', 'cc', 'viz', 'IndexedDB']
	});
	try {
		return await measured();
	} finally {
		await browser.stopTracing();
		console.log(`browser trace written to ${file}`);
	}
}
