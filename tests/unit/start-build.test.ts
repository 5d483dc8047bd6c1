import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildNeeded } from '../../server/start/staleBuild.ts';

function project(): { root: string; touch: (file: string, secondsAgo: number) => void } {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-start-'));
	const touch = (file: string, secondsAgo: number) => {
		const full = path.join(root, file);
		fs.mkdirSync(path.dirname(full), { recursive: true });
		if (!fs.existsSync(full)) fs.writeFileSync(full, '');
		const when = new Date(Date.now() - secondsAgo * 1000);
		fs.utimesSync(full, when, when);
		// A directory's own time moves when an entry is added: keep the folders old, only files count here.
		for (let dir = path.dirname(full); dir.startsWith(root) && dir !== root; dir = path.dirname(dir)) {
			fs.utimesSync(dir, new Date(0), new Date(0));
		}
	};
	return { root, touch };
}

describe('npm start builds only when needed', () => {
	it('builds when there is no build', () => {
		const { root, touch } = project();
		touch('src/app.html', 100);
		expect(buildNeeded(root)).toBe('no build yet');
	});

	it('does not build when the build is newer than every source', () => {
		const { root, touch } = project();
		touch('src/routes/+page.svelte', 100);
		touch('static/icons/favicon-32.png', 100);
		touch('package-lock.json', 100);
		touch('build/handler.js', 10);
		expect(buildNeeded(root)).toBeNull();
	});

	it('builds when any source, however deep, or the lock file changed after the build', () => {
		const { root, touch } = project();
		touch('src/routes/(app)/settings/+page.svelte', 100);
		touch('build/handler.js', 50);
		expect(buildNeeded(root)).toBeNull();
		touch('src/routes/(app)/settings/staff/+page.svelte', 5);
		expect(buildNeeded(root)).toBe('sources changed since the last build');
		const { root: other, touch: touchOther } = project();
		touchOther('build/handler.js', 50);
		touchOther('package-lock.json', 5);
		expect(buildNeeded(other)).toBe('sources changed since the last build');
	});
});
