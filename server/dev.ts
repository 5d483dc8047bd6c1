import { createServer as createViteServer } from 'vite';
import { createDevelopmentKey } from './boot.ts';
import { loadConfig } from './config/index.ts';
import { createFrontdesk } from './frontdesk.ts';
import { errorMessage } from './errors.ts';

/** `npm run dev`: the same server pieces, with Vite (HMR) serving the SvelteKit app on the same port. */
async function dev(): Promise<void> {
	const config = loadConfig();
	// Only the server asks for a key file, and gets one only outside production on a new data folder.
	await createDevelopmentKey(config);
	const frontdesk = await createFrontdesk(config);
	const vite = await createViteServer({
		server: { middlewareMode: true, hmr: { server: frontdesk.httpServer } },
		appType: 'custom'
	});
	frontdesk.setAppHandler(vite.middlewares);
	await frontdesk.listen();
	const stop = () => void Promise.all([vite.close(), frontdesk.close()]).then(() => process.exit(0));
	process.once('SIGTERM', stop);
	process.once('SIGINT', stop);
}

dev().catch((error: unknown) => {
	process.stderr.write(`frontdesk dev could not start: ${errorMessage(error)}\n`);
	process.exit(1);
});
