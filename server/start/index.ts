import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildNeeded } from './staleBuild.ts';

/**
 * `npm start`: builds the app only when the build is missing or older than its sources (or always with
 * `npm start -- --build`), then runs the server; a restart with nothing changed is ready in a few seconds.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const forced = process.argv.includes('--build');
const reason = forced ? 'asked for with --build' : buildNeeded(root);
if (reason) {
	process.stdout.write(`Building the app (${reason})…\n`);
	const vite = fileURLToPath(new URL('../../node_modules/vite/bin/vite.js', import.meta.url));
	const build = spawnSync(process.execPath, [vite, 'build'], { cwd: root, stdio: 'inherit' });
	if (build.status !== 0) {
		process.stderr.write('frontdesk: the build failed; see above\n');
		process.exit(build.status ?? 1);
	}
} else {
	process.stdout.write('The build is up to date (npm start -- --build rebuilds anyway).\n');
}
await import('../main.ts');
