import http from 'node:http';

export interface LoadResult {
	requests: number;
	errors: number;
	seconds: number;
	/** Latencies in ms, sorted. */
	latencies: number[];
	/** Every 200 answer, warm-up and stragglers included: what the server must have stored. */
	answered: number;
}

export interface LoadOptions {
	port: number;
	path: string;
	/** Requests in flight at once (each on its own kept-alive connection). */
	concurrency: number;
	warmupMs: number;
	durationMs: number;
	/** The i-th request's body and headers. */
	request(i: number): { body: Buffer; headers: Record<string, string> };
}

/**
 * Closed-loop load: `concurrency` workers each send the next request as soon as the previous one answered, over
 * kept-alive connections. Only answers that arrive inside the measured window count; a non-200 is an error.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
	const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
	let next = 0;
	const start = performance.now() + opts.warmupMs;
	const end = start + opts.durationMs;
	const latencies: number[] = [];
	let errors = 0;
	let answered = 0;
	const post = (i: number) =>
		new Promise<number>((resolve, reject) => {
			const { body, headers } = opts.request(i);
			const req = http.request(
				{
					host: '127.0.0.1',
					port: opts.port,
					path: opts.path,
					method: 'POST',
					agent,
					headers: { ...headers, 'content-length': body.length }
				},
				(res) => {
					res.resume();
					res.on('end', () => resolve(res.statusCode ?? 0));
				}
			);
			req.on('error', reject);
			req.end(body);
		});
	const worker = async () => {
		for (;;) {
			const sentAt = performance.now();
			if (sentAt >= end) return;
			const status = await post(next++).catch(() => 0);
			const doneAt = performance.now();
			if (status === 200) answered++;
			if (sentAt < start || doneAt > end) continue;
			if (status === 200) latencies.push(doneAt - sentAt);
			else errors++;
		}
	};
	await Promise.all(Array.from({ length: opts.concurrency }, worker));
	agent.destroy();
	return {
		requests: latencies.length,
		errors,
		seconds: opts.durationMs / 1000,
		latencies: latencies.sort((a, b) => a - b),
		answered
	};
}

export function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
