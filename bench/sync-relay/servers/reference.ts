import { threadKey } from '../layout.ts';
import { startServer } from './child.ts';
import type { RelayServer } from './types.ts';

/** @y/websocket-server@0.1.1 in its own process (referenceMain.ts), with the same doc names as ours. */
export async function startReference(): Promise<RelayServer> {
	const server = await startServer('bench/sync-relay/servers/referenceMain.ts', {
		env: { HOST: '127.0.0.1' },
		readyPath: '/'
	});
	return {
		name: 'reference',
		pid: server.child.pid ?? -1,
		headers: {},
		socketUrl: (doc) => `ws://127.0.0.1:${server.port}/bench/thread/${threadKey(doc)}`,
		stop: () => server.stop()
	};
}
