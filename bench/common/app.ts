import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../tests/helpers/server.ts';

const VERSION_FILE = path.join(ROOT, 'build/client/_app/version.json');

/**
 * The browser benches serve `build/` through the real server: built once when missing, as `npm run build` would.
 * Returns a check to call at the end: a rebuild meanwhile (another `npm run build` in this checkout) swaps the files
 * under the running server, and the figures of that run may come from a broken page.
 */
export function ensureAppBuilt(): () => void {
	if (!fs.existsSync(path.join(ROOT, 'build/handler.js'))) {
		console.log('building the app (npm run build)…');
		const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
		if (build.status !== 0) throw new Error('npm run build failed');
	}
	const stamp = () => (fs.existsSync(VERSION_FILE) ? fs.statSync(VERSION_FILE).mtimeMs : 0);
	const before = stamp();
	return () => {
		if (stamp() !== before)
			console.log('warning: the app was rebuilt during this run (build/ changed); its figures may be wrong');
	};
}
