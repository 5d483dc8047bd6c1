import { chromium, type Browser, type BrowserContext } from 'playwright-core';

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
