import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics. One registry per process (tests start several servers in one process only
 * through separate processes), served at `/metrics` to authorized scrapers only.
 */
export interface Metrics {
	readonly registry: Registry;
	/** A bound was hit: `limit` is the setting's name in snake case (e.g. `sync_max_buffered_bytes`). */
	readonly limitHits: Counter<'limit'>;
	/** Share of a clinic quota in use, 0–1, by clinic id and quota (`docs`, `stored_bytes`). */
	readonly quotaUse: Gauge<'clinic' | 'quota'>;
}

export function createMetrics(): Metrics {
	const registry = new Registry();
	collectDefaultMetrics({ register: registry, prefix: 'frontdesk_' });
	return {
		registry,
		limitHits: new Counter({
			name: 'frontdesk_limit_hits_total',
			help: 'Requests, messages or sockets refused because a configured bound was reached',
			labelNames: ['limit'],
			registers: [registry]
		}),
		quotaUse: new Gauge({
			name: 'frontdesk_clinic_quota_use_ratio',
			help: 'Share of a clinic quota in use',
			labelNames: ['clinic', 'quota'],
			registers: [registry]
		})
	};
}
