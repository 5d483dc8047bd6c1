import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TRPC_PREFIX } from '../../server/api/index.ts';
import { CALENDAR_WEBHOOK_PATH } from '../../server/calendar/CalendarSync.ts';
import { OAUTH_CALLBACK_PATH } from '../../server/calendar/connections.ts';
import { isServerPath, serverPathPatterns } from '../../src/lib/domain/serverPaths.ts';
import { SYNC_MUX_PATH, SYNC_PATH_PREFIX } from '../../src/lib/domain/syncProtocol.ts';

/** The app's own first path segments, as SvelteKit routes them: `src/routes` without its (groups). */
function appRoots(dir = 'src/routes'): string[] {
	return fs
		.readdirSync(dir, { withFileTypes: true })
		.filter((entry) => entry.isDirectory())
		.flatMap((entry) => (entry.name.startsWith('(') ? appRoots(`${dir}/${entry.name}`) : [entry.name]));
}

describe('DEVICE-PWA-3: the service worker lets the server’s own addresses through', () => {
	it('counts every address the server answers as the server’s', () => {
		const served = [
			TRPC_PREFIX,
			`${TRPC_PREFIX}/auth.login`,
			SYNC_MUX_PATH,
			`${SYNC_PATH_PREFIX}clinic/inbox`,
			'/healthz',
			'/metrics',
			'/webhooks/meta',
			'/webhooks/twilio/voice',
			CALENDAR_WEBHOOK_PATH,
			OAUTH_CALLBACK_PATH,
			'/forms/klinik',
			'/media/abc123'
		];
		for (const path of served) {
			expect(isServerPath(path), path).toBe(true);
			expect(
				serverPathPatterns().some((pattern) => pattern.test(path)),
				path
			).toBe(true);
		}
	});

	it('leaves every page of the app to the shell', () => {
		const roots = appRoots();
		expect(roots).toEqual(expect.arrayContaining(['inbox', 'patients', 'schedule', 'settings', 'login']));
		for (const path of [
			'/',
			...roots.map((root) => `/${root}`),
			'/settings/calendar',
			'/patients/p1',
			'/mediation',
			'/syncing'
		]) {
			expect(isServerPath(path), path).toBe(false);
			expect(
				serverPathPatterns().some((pattern) => pattern.test(path)),
				path
			).toBe(false);
		}
	});
});
