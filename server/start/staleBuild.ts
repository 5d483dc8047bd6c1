import fs from 'node:fs';
import path from 'node:path';

/** What the built app is made of: a change to any of these makes the build stale. */
export const BUILD_INPUTS = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json', 'tsconfig.json'];
/** The file adapter-node writes last-ish and the server loads: its age is the build's age. */
export const BUILD_OUTPUT = 'build/handler.js';

function newestMtime(file: string): number {
	const stat = fs.statSync(file, { throwIfNoEntry: false });
	if (!stat) return 0;
	if (!stat.isDirectory()) return stat.mtimeMs;
	let newest = stat.mtimeMs;
	for (const entry of fs.readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
	return newest;
}

/** Why the app must be built before starting, or null when the build is there and newer than every input. */
export function buildNeeded(root: string): string | null {
	const output = fs.statSync(path.join(root, BUILD_OUTPUT), { throwIfNoEntry: false });
	if (!output) return 'no build yet';
	const newest = Math.max(...BUILD_INPUTS.map((input) => newestMtime(path.join(root, input))));
	return newest > output.mtimeMs ? 'sources changed since the last build' : null;
}
