import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClinicServer, type ClinicServer } from '../helpers/clinic.ts';
import { login, trpc, withTimeout } from '../helpers/client.ts';
import { createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// Rules HTTP-* of docs/spec/http.md, through the real server process.

const MiB = 1024 * 1024;
const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';

/** Behind one trusted proxy: X-Forwarded-For says who the client is. */
let proxied: ClinicServer;
/** No proxy (TRUST_PROXY unset) and a metrics token. */
let direct: ClinicServer;

beforeAll(async () => {
	[proxied, direct] = await Promise.all([
		startClinicServer('admin', { TRUST_PROXY: '1', SYNC_TICKETS_PER_MINUTE: '5' }),
		startClinicServer('admin', { METRICS_TOKEN })
	]);
});

afterAll(async () => {
	await Promise.all([proxied?.server.stop(), direct?.server.stop()]);
});

interface RawResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: string;
}

/** One HTTP request with full control of the headers (fetch would add or refuse some). */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
	return new Promise<RawResponse>((resolve, reject) => {
		const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (c: string) => (body += c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
		});
		req.on('error', reject);
		req.end(opts.body);
	});
}

function login2(server: ServerProcess, email: string, password: string, from?: string) {
	return request(`${server.url}/trpc/auth.login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
		body: JSON.stringify({ email, password })
	});
}

function rssBytes(pid: number): number {
	const kib = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
	return Number(kib) * 1024;
}

/**
 * Streams `total` bytes of a login-shaped JSON body, honouring backpressure, until the server answers.
 * Resolves with the status, the bytes written, the time taken and the highest RSS of the server seen meanwhile.
 */
function hugeUpload(server: ServerProcess, total: number, chunked: boolean) {
	const pid = server.child.pid!;
	return new Promise<{ status: number; written: number; ms: number; peakRss: number; closed: boolean }>((resolve, reject) => {
		const started = performance.now();
		let written = 0;
		let peakRss = rssBytes(pid);
		let status = 0;
		const headers: Record<string, string> = { 'content-type': 'application/json' };
		if (!chunked) headers['content-length'] = String(total);
		const req = http.request(`${server.url}/trpc/auth.login`, { method: 'POST', headers });
		const chunk = Buffer.alloc(MiB, 'a');
		const finish = (closed: boolean) => resolve({ status, written, ms: performance.now() - started, peakRss, closed });
		req.on('response', (res) => {
			status = res.statusCode ?? 0;
			res.resume();
			// The server half-closes right after its answer (FIN), or cuts a client that keeps sending (RST): either
			// way the connection ends, which is what counts.
			res.on('end', () => {
				const socket = req.socket;
				if (!socket || socket.destroyed || socket.readableEnded) return finish(true);
				socket.once('end', () => finish(true));
				socket.once('close', () => finish(true));
			});
		});
		// The server closes the connection after its answer: writing on fails, as it should.
		req.on('error', (error) => (status ? undefined : reject(error)));
		req.write('{"email":"x@example.com","password":"attacker-marker-');
		const pump = () => {
			while (written < total && status === 0 && !req.destroyed) {
				peakRss = Math.max(peakRss, rssBytes(pid));
				written += chunk.length;
				if (!req.write(chunk)) return void req.once('drain', pump);
			}
			if (written >= total && status === 0) req.end('"}');
		};
		pump();
	});
}

async function metricsText(server: ServerProcess, headers: Record<string, string> = {}): Promise<RawResponse> {
	return request(`${server.url}/metrics`, { headers });
}

function limitHits(metrics: string, limit: string): number {
	const line = metrics.split('\n').find((l) => l.startsWith(`frontdesk_limit_hits_total{limit="${limit}"}`));
	return line ? Number(line.split(' ').pop()) : 0;
}

describe('HTTP-BODY-1/2: every request body is bounded', () => {
	it('HTTP-BODY-1: a 400 MiB body declared in content-length is refused with 413 before it is read', async () => {
		const before = rssBytes(proxied.server.child.pid!);
		const result = await withTimeout(hugeUpload(proxied.server, 400 * MiB, false), 15_000, '413');
		expect(result.status).toBe(413);
		expect(result.closed).toBe(true);
		expect(result.written).toBeLessThan(100 * MiB);
		expect(result.peakRss - before).toBeLessThan(100 * MiB);
		console.log(
			`content-length upload: RSS ${(before / MiB) | 0} → peak ${(result.peakRss / MiB) | 0} MiB, ${result.written / MiB} MiB sent, ${result.ms | 0} ms`
		);
	});

	it('HTTP-BODY-2: a 400 MiB chunked body is cut at the limit with 413 and the connection closes; memory stays bounded', async () => {
		const before = rssBytes(proxied.server.child.pid!);
		const result = await withTimeout(hugeUpload(proxied.server, 400 * MiB, true), 15_000, '413');
		expect(result.status).toBe(413);
		expect(result.closed).toBe(true);
		expect(result.written).toBeLessThan(100 * MiB);
		expect(result.peakRss - before).toBeLessThan(100 * MiB);
		console.log(
			`chunked upload: RSS ${(before / MiB) | 0} → peak ${(result.peakRss / MiB) | 0} MiB, ${result.written / MiB} MiB sent, ${result.ms | 0} ms`
		);
	});

	it('HTTP-BODY-1: Expect: 100-continue over the limit is refused before the body is sent', async () => {
		const res = await new Promise<number>((resolve, reject) => {
			const req = http.request(`${proxied.server.url}/trpc/auth.login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'content-length': String(10 * MiB), expect: '100-continue' }
			});
			req.on('continue', () => reject(new Error('the server asked for the body')));
			req.on('response', (r) => {
				r.resume();
				resolve(r.statusCode ?? 0);
			});
			req.on('error', reject);
			req.flushHeaders();
		});
		expect(res).toBe(413);
	});

	it('HTTP-BODY-2: bad input changes nothing; the limit hits are logged without the body and counted', async () => {
		// The server still answers, and a body under the limit still signs in.
		expect((await login2(proxied.server, proxied.user.email, proxied.user.password)).status).toBe(200);
		await withTimeout(
			proxied.server.logged((l) => l.includes('request body over the limit')),
			5000,
			'limit logged'
		);
		const logs = proxied.server.logs.join('\n');
		expect(logs).not.toContain('attacker-marker');
		const metrics = (await metricsText(proxied.server)).body;
		expect(limitHits(metrics, 'http_max_body_bytes')).toBeGreaterThanOrEqual(3);
	});
});

describe('HTTP-HEAD: security headers', () => {
	const common = (res: RawResponse) => {
		expect(res.headers['x-content-type-options']).toBe('nosniff');
		expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
		expect(res.headers['x-frame-options']).toBe('DENY');
		expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
	};

	it('HTTP-HEAD-1/3: tRPC, /healthz, /metrics, 413s and unknown paths carry them, with a strict CSP', async () => {
		const url = direct.server.url;
		const responses = await Promise.all([
			request(`${url}/trpc/auth.me`),
			request(`${url}/trpc/no.such`),
			request(`${url}/healthz`),
			request(`${url}/metrics`),
			request(`${url}/anything`, { method: 'POST', headers: { 'content-length': String(MiB) } })
		]);
		expect(responses.map((r) => r.status)).toEqual([200, 404, 200, 401, 413]);
		for (const res of responses) {
			common(res);
			expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'/);
			expect(res.headers['strict-transport-security']).toBeUndefined();
		}
	});

	it('HTTP-HEAD-4: HSTS only over TLS, as a trusted proxy reports it', async () => {
		const tls = await request(`${proxied.server.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
		expect(tls.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
		const plain = await request(`${proxied.server.url}/healthz`, { headers: { 'x-forwarded-proto': 'http' } });
		expect(plain.headers['strict-transport-security']).toBeUndefined();
		// Without TRUST_PROXY the header is anyone's to forge.
		const forged = await request(`${direct.server.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
		expect(forged.headers['strict-transport-security']).toBeUndefined();
	});
});

describe('HTTP-ERR-1: internal errors stay on the server', () => {
	it('HTTP-ERR-1: a batch whose ticket insert fails after sign-out answers a generic message', async () => {
		const cookie = await login(direct.server.url, direct.user.email, direct.user.password);
		const res = await request(`${direct.server.url}/trpc/auth.logout,sync.ticket?batch=1`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', cookie },
			body: JSON.stringify({ 0: null, 1: { doc: `${direct.clinic}/directory` } })
		});
		expect(res.body).not.toMatch(/FOREIGN KEY|constraint|SQLITE|at .*\.ts:\d+/i);
		const [logout, ticket] = JSON.parse(res.body) as { result?: unknown; error?: { message: string; data: { code: string } } }[];
		expect(logout.result).toBeDefined();
		expect(ticket.error).toMatchObject({ message: 'internal error', data: { code: 'INTERNAL_SERVER_ERROR' } });
		// The cause is in the server's log, for the operator.
		await withTimeout(
			direct.server.logged((l) => l.includes('"msg":"api error"') && l.includes('sync.ticket')),
			5000,
			'the cause logged'
		);
	});
});

describe('HTTP-HEALTH-1 and HTTP-METRICS-1', () => {
	it('HTTP-HEALTH-1: /healthz answers ok and no counts', async () => {
		const res = await request(`${direct.server.url}/healthz`);
		expect(res.status).toBe(200);
		expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
	});

	it('HTTP-METRICS-1: with a token, /metrics wants it as a bearer', async () => {
		const url = direct.server.url;
		expect((await metricsText(direct.server)).status).toBe(401);
		expect((await metricsText(direct.server, { authorization: `Bearer ${METRICS_TOKEN}x` })).status).toBe(401);
		expect((await metricsText(direct.server, { authorization: 'Bearer short' })).status).toBe(401);
		const res = await request(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
		expect(res.status).toBe(200);
		expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
		for (const name of [
			'frontdesk_sync_docs_loaded',
			'frontdesk_sync_connections_open',
			'frontdesk_sync_commits',
			'frontdesk_sync_updates',
			'frontdesk_process_resident_memory_bytes'
		])
			expect(res.body).toMatch(new RegExp(`^${name} \\d+`, 'm'));
	});

	it('HTTP-METRICS-1: without a token, only direct loopback requests are answered', async () => {
		expect((await metricsText(proxied.server)).status).toBe(200);
		expect((await metricsText(proxied.server, { 'x-forwarded-for': '127.0.0.1' })).status).toBe(404);
		expect((await metricsText(proxied.server, { forwarded: 'for=127.0.0.1' })).status).toBe(404);
	});

	const external = Object.values(os.networkInterfaces())
		.flat()
		.find((i) => i && !i.internal && i.family === 'IPv4')?.address;
	it.skipIf(!external)('HTTP-METRICS-1: without a token, a request to a non-loopback address gets 404', async () => {
		const server = await ServerProcess.start(testEnv({ HOST: '0.0.0.0' }));
		try {
			expect((await request(`http://${external}:${server.port}/metrics`)).status).toBe(404);
			expect((await request(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(200);
		} finally {
			await server.stop();
		}
	});
});

describe('HTTP-LOGIN: limits that delay, never lock out', () => {
	let target: TestUser;

	beforeAll(async () => {
		target = await createUser(proxied.env, proxied.clinic, 'practitioner');
	});

	it('HTTP-LOGIN-1: an attacker failing 20 times at address A does not stop the right password at address B', async () => {
		const statuses: number[] = [];
		for (let i = 0; i < 20; i++) statuses.push((await login2(proxied.server, target.email, `guess ${i}`, '203.0.113.7')).status);
		expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
		expect(statuses.slice(6).every((s) => s === 429)).toBe(true);
		const right = await login2(proxied.server, target.email, target.password, '198.51.100.20');
		expect(right.status).toBe(200);
		expect(right.headers['set-cookie']?.some((c) => c.startsWith('fd_session='))).toBe(true);
	});

	it('HTTP-LOGIN-1: the attacker gets 429 with a Retry-After that grows', async () => {
		const victim = await createUser(proxied.env, proxied.clinic, 'reception');
		const from = '203.0.113.8';
		for (let i = 0; i < 6; i++) expect((await login2(proxied.server, victim.email, `guess ${i}`, from)).status).toBe(401);
		const first = await login2(proxied.server, victim.email, 'guess', from);
		expect(first.status).toBe(429);
		const firstWait = Number(first.headers['retry-after']);
		expect(firstWait).toBe(1);
		// Honour the wait the server asked for (its clock, not an event we could await).
		await new Promise((r) => setTimeout(r, firstWait * 1000 + 50));
		expect((await login2(proxied.server, victim.email, 'guess again', from)).status).toBe(401);
		const second = await login2(proxied.server, victim.email, 'guess', from);
		expect(second.status).toBe(429);
		expect(Number(second.headers['retry-after'])).toBeGreaterThan(firstWait);
		expect(JSON.parse(second.body)).toMatchObject({ error: { data: { code: 'TOO_MANY_REQUESTS' } } });
	});

	it('HTTP-LOGIN-2: spraying many accounts from one address is slowed; other addresses are not', async () => {
		const from = '203.0.113.9';
		const statuses: number[] = [];
		for (let i = 0; i < 32; i++)
			statuses.push((await login2(proxied.server, `nobody${i}@example.com`, 'Winter2026!', from)).status);
		expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
		expect(statuses.slice(31)).toEqual([429]);
		expect((await login2(proxied.server, target.email, target.password, '198.51.100.21')).status).toBe(200);
	});

	it('HTTP-ADDR-1: without TRUST_PROXY a forged X-Forwarded-For is ignored', async () => {
		const victim = await createUser(direct.env, direct.clinic, 'reception');
		const statuses: number[] = [];
		for (let i = 0; i < 7; i++)
			statuses.push((await login2(direct.server, victim.email, `guess ${i}`, `198.51.100.${100 + i}`)).status);
		// Every attempt counted against the socket's address, whatever the header said.
		expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
		const cookie = await login(direct.server.url, direct.user.email, direct.user.password);
		const sessions = await trpc(direct.server.url, 'auth.sessions', undefined, { cookie, method: 'GET' });
		for (const s of sessions.body.result!.data as { ip: string }[]) expect(s.ip).toBe('127.0.0.1');
	});

	it('HTTP-ADDR-1: behind a trusted proxy the session records the forwarded address', async () => {
		const res = await login2(proxied.server, proxied.user.email, proxied.user.password, '198.51.100.50');
		const cookie = res.headers['set-cookie']!.find((c) => c.startsWith('fd_session='))!.split(';')[0];
		const sessions = await trpc(proxied.server.url, 'auth.sessions', undefined, { cookie, method: 'GET' });
		const current = (sessions.body.result!.data as { ip: string; current: boolean }[]).find((s) => s.current)!;
		expect(current.ip).toBe('198.51.100.50');
	});

	it('HTTP-LOGIN-1/2: limit hits are logged without passwords and counted', async () => {
		const metrics = (await metricsText(proxied.server)).body;
		expect(limitHits(metrics, 'login_account_address')).toBeGreaterThanOrEqual(15);
		expect(limitHits(metrics, 'login_address')).toBeGreaterThanOrEqual(1);
		await withTimeout(
			proxied.server.logged((l) => l.includes('login attempt held back')),
			5000,
			'wait logged'
		);
		const logs = proxied.server.logs.join('\n');
		expect(logs).not.toContain('Winter2026!');
		expect(logs).not.toContain(target.password);
	});
});

describe('HTTP-TICKET-1: sync tickets are rate-limited per session', () => {
	it('HTTP-TICKET-1: past SYNC_TICKETS_PER_MINUTE the session gets 429 with Retry-After; others are unaffected', async () => {
		const cookie = await login(proxied.server.url, proxied.user.email, proxied.user.password);
		const doc = `${proxied.clinic}/directory`;
		for (let i = 0; i < 5; i++) expect((await trpc(proxied.server.url, 'sync.ticket', { doc }, { cookie })).status).toBe(200);
		const res = await request(`${proxied.server.url}/trpc/sync.ticket`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', cookie },
			body: JSON.stringify({ doc })
		});
		expect(res.status).toBe(429);
		expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
		expect(JSON.parse(res.body)).toMatchObject({ error: { data: { code: 'TOO_MANY_REQUESTS' } } });

		const other = await login(proxied.server.url, proxied.user.email, proxied.user.password);
		expect((await trpc(proxied.server.url, 'sync.ticket', { doc }, { cookie: other })).status).toBe(200);
		expect(limitHits((await metricsText(proxied.server)).body, 'sync_tickets_per_minute')).toBe(1);
		await withTimeout(
			proxied.server.logged((l) => l.includes('sync tickets over the limit')),
			5000,
			'ticket limit logged'
		);
	});
});
