import type { Page } from 'playwright-core';

/**
 * Resolves once an element matching `selector` is in the page, checked in the page at every animation frame. Not
 * `page.waitForSelector`: Playwright polls that from outside with a growing back-off (again after 20, 50, 100, 100,
 * then every 500 ms), so a screen drawn just after one check was timed up to 100 ms late, by when the next check
 * happened to run (measured: 20–150 ms between the page's own mark and the figure). A frame-by-frame check sees it in
 * the frame that paints it.
 */
export async function untilShown(page: Page, selector: string, timeout = 120_000): Promise<void> {
	await page.waitForFunction((s) => document.querySelector(s) !== null, selector, { polling: 'raf', timeout });
}
