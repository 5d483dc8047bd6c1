import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Gauge } from 'prom-client';
import type { Metrics } from '../metrics.ts';
import { isLoopback } from './clientAddress.ts';

export interface SyncStats {
	docs: number;
	connections: number;
	commits: number;
	updates: number;
}

/** Gauges read from the sync server's counters at scrape time (no bookkeeping of their own). */
export function registerSyncGauges(metrics: Metrics, stats: () => SyncStats): void {
	const gauges: [string, string, keyof SyncStats][] = [
		['frontdesk_sync_docs_loaded', 'Docs held in memory by the sync server', 'docs'],
		['frontdesk_sync_connections_open', 'Open sync sockets', 'connections'],
		['frontdesk_sync_commits', 'Group commits since start', 'commits'],
		['frontdesk_sync_updates', 'Updates stored since start', 'updates']
	];
	for (const [name, help, key] of gauges) {
		new Gauge({
			name,
			help,
			registers: [metrics.registry],
			collect() {
				this.set(stats()[key]);
			}
		});
	}
}

/** Compares digests, so neither the token's length nor its content leaks through timing. */
function sameToken(given: string, expected: string): boolean {
	const digest = (s: string) => createHash('sha256').update(s).digest();
	return timingSafeEqual(digest(given), digest(expected));
}

export type MetricsAccess = 'allowed' | 'unauthorized' | 'hidden';

/**
 * Who may scrape: with a token, whoever sends `Authorization: Bearer <token>`; without one, only a direct request
 * from this machine (loopback, no proxy header: a reverse proxy on the same host would forward the world).
 */
export function metricsAccess(req: IncomingMessage, token: string | null): MetricsAccess {
	if (token !== null) {
		const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
		return match && sameToken(match[1], token) ? 'allowed' : 'unauthorized';
	}
	const proxied = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
	return !proxied && isLoopback(req.socket.remoteAddress) ? 'allowed' : 'hidden';
}

export async function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: Metrics, token: string | null) {
	const access = metricsAccess(req, token);
	if (access === 'hidden') {
		res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
	} else if (access === 'unauthorized') {
		res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized');
	} else {
		const body = await metrics.registry.metrics();
		res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(body);
	}
}
