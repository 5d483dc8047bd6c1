import { build } from 'esbuild';

/**
 * Bundles a bench's page code (TypeScript, importing the domain and Yjs) into one script for `page.evaluate`:
 * the app's own modules are hashed chunks with no names to import from. esbuild comes with tsx.
 */
export async function bundleForPage(entry: string): Promise<string> {
	const result = await build({
		entryPoints: [entry],
		bundle: true,
		format: 'iife',
		platform: 'browser',
		target: 'es2022',
		write: false,
		logLevel: 'silent'
	});
	return result.outputFiles[0].text;
}
