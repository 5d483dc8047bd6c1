import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDevelopmentKey } from './boot.ts';
import { loadConfig } from './config/index.ts';
import { createFrontdesk, type AppHandler } from './frontdesk.ts';
import { demoSignInText } from './seed/demoClinic.ts';
import { errorMessage } from './errors.ts';

/** Production entry: `npm start` builds the app, then runs this. */
async function main(): Promise<void> {
	const config = loadConfig();
	// Only the server asks for a key file, and gets one only outside production on a new data folder.
	await createDevelopmentKey(config);
	const frontdesk = await createFrontdesk(config);
	const handlerFile = fileURLToPath(new URL('../build/handler.js', import.meta.url));
	if (fs.existsSync(handlerFile)) {
		const { handler } = (await import(handlerFile)) as { handler: AppHandler };
		frontdesk.setAppHandler(handler);
	} else {
		frontdesk.logger.warn('build/handler.js not found: serving the API and sync only (run `npm run build`)');
	}
	const stop = (signal: string) => {
		frontdesk.logger.info({ signal }, 'shutting down');
		void frontdesk.close().then(
			() => process.exit(0),
			() => process.exit(1)
		);
	};
	// Before listening: a signal that arrives as soon as `listening` is logged still closes the store cleanly.
	process.once('SIGTERM', () => stop('SIGTERM'));
	process.once('SIGINT', () => stop('SIGINT'));
	const port = await frontdesk.listen();
	// The last thing of the start output, at every start, while the demo admin has its first password.
	const signIn = await frontdesk.demoSignIn();
	if (signIn) process.stdout.write(demoSignInText(config.origins[0] ?? `http://localhost:${port}`, signIn));
}

main().catch((error: unknown) => {
	process.stderr.write(`frontdesk could not start: ${errorMessage(error)}\n`);
	process.exit(1);
});
