import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, createClinic, createUser, ServerProcess, testEnv, type ServerEnv, type TestUser } from '../helpers/server.ts';
import { login, trpc } from '../helpers/client.ts';

let env: ServerEnv;
let server: ServerProcess;
let clinic: string;
let user: TestUser;

beforeAll(async () => {
	env = testEnv();
	clinic = await createClinic(env);
	user = await createUser(env, clinic, 'reception');
	server = await ServerProcess.start(env);
});

afterAll(async () => {
	await server?.stop();
});

describe('auth.login', () => {
	it('sets an HttpOnly, SameSite=Lax session cookie and returns the user', async () => {
		const res = await trpc(server.url, 'auth.login', { email: user.email.toUpperCase(), password: user.password });
		expect(res.status).toBe(200);
		expect(res.body.result!.data).toMatchObject({ user: { email: user.email, role: 'reception', clinicId: clinic } });
		const cookie = res.setCookie.find((c) => c.startsWith('fd_session='))!;
		expect(cookie).toMatch(/HttpOnly/);
		expect(cookie).toMatch(/SameSite=Lax/);
		expect(cookie).toMatch(/Max-Age=2592000/);
		// 127.0.0.1 over plain HTTP is local development: no Secure flag, or the browser would drop the cookie.
		expect(cookie).not.toMatch(/Secure/);
	});

	it('marks the cookie Secure when the app is not on localhost', async () => {
		// fetch may not set Host, so speak plain HTTP as a reverse proxy would.
		const setCookie = await new Promise<string[]>((resolve, reject) => {
			const req = http.request(
				`${server.url}/trpc/auth.login`,
				{ method: 'POST', headers: { 'content-type': 'application/json', host: 'frontdesk.example.com' } },
				(res) => {
					res.resume();
					resolve(res.headers['set-cookie'] ?? []);
				}
			);
			req.on('error', reject);
			req.end(JSON.stringify({ email: user.email, password: user.password }));
		});
		expect(setCookie.find((c) => c.startsWith('fd_session='))).toMatch(/; Secure/);
	});

	it('refuses a wrong password with the same message as an unknown email', async () => {
		const wrong = await trpc(server.url, 'auth.login', { email: user.email, password: 'not the password' });
		const unknown = await trpc(server.url, 'auth.login', { email: 'nobody@example.com', password: 'not the password' });
		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		expect(wrong.body.error!.message).toBe(unknown.body.error!.message);
		expect(wrong.setCookie).toEqual([]);
	});

	it('answers malformed input with a typed validation error', async () => {
		const res = await trpc(server.url, 'auth.login', { email: 42 });
		expect(res.status).toBe(400);
		expect(res.body.error!.data.code).toBe('BAD_REQUEST');
		expect(res.body.error!.data.validation).toMatchObject({
			fieldErrors: { email: expect.any(Array), password: expect.any(Array) }
		});
		expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/); // no stack traces to clients
	});

	it('slows guesses per account and address with growing waits (HTTP-LOGIN-1), never a lockout', async () => {
		const target = await createUser(env, clinic, 'practitioner');
		const statuses: number[] = [];
		for (let i = 0; i < 8; i++)
			statuses.push((await trpc(server.url, 'auth.login', { email: target.email, password: `guess ${i}` })).status);
		// Five free attempts, a sixth that starts a 1 s wait, then 429 until it passes.
		expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
		// From the same address the right password waits too: the wait is on attempts, not on failures alone.
		const res = await trpc(server.url, 'auth.login', { email: target.email, password: target.password });
		expect(res.status).toBe(429);
	});
});

describe('sessions', () => {
	it('lists the user’s devices, revokes one, and logs out', async () => {
		const first = await login(server.url, user.email, user.password);
		const second = await login(server.url, user.email, user.password);
		const list = (await trpc(server.url, 'auth.sessions', undefined, { cookie: first, method: 'GET' })).body.result!.data as {
			id: string;
			device: string | null;
			ip: string;
			lastSeenAt: number;
			current: boolean;
		}[];
		expect(list.length).toBeGreaterThanOrEqual(2);
		expect(list.filter((s) => s.current)).toHaveLength(1);
		expect(list[0]).toMatchObject({ ip: expect.stringContaining('127.0.0.1'), lastSeenAt: expect.any(Number) });

		const me = await trpc(server.url, 'auth.me', undefined, { cookie: second, method: 'GET' });
		expect(me.body.result!.data).toMatchObject({ user: { email: user.email } });
		const secondId = list.find((s) => !s.current)!.id;
		expect((await trpc(server.url, 'auth.revoke', { id: secondId }, { cookie: first })).status).toBe(200);
		expect((await trpc(server.url, 'auth.me', undefined, { cookie: second, method: 'GET' })).body.result!.data).toEqual({
			user: null
		});

		expect((await trpc(server.url, 'auth.revoke', { id: 'f'.repeat(64) }, { cookie: first })).status).toBe(404);
		expect((await trpc(server.url, 'auth.revoke', { id: 'x' }, { cookie: first })).status).toBe(400);

		const out = await trpc(server.url, 'auth.logout', undefined, { cookie: first });
		expect(out.status).toBe(200);
		expect(out.setCookie.some((c) => c.startsWith('fd_session=;') && c.includes('Max-Age=0'))).toBe(true);
		expect((await trpc(server.url, 'auth.sessions', undefined, { cookie: first, method: 'GET' })).status).toBe(401);
	});

	it('cannot revoke another user’s session', async () => {
		const other = await createUser(env, clinic, 'practitioner');
		const mine = await login(server.url, user.email, user.password);
		const theirs = await login(server.url, other.email, other.password);
		const theirList = (await trpc(server.url, 'auth.sessions', undefined, { cookie: theirs, method: 'GET' })).body.result!
			.data as { id: string }[];
		expect((await trpc(server.url, 'auth.revoke', { id: theirList[0].id }, { cookie: mine })).status).toBe(404);
		expect((await trpc(server.url, 'auth.me', undefined, { cookie: theirs, method: 'GET' })).body.result!.data).toMatchObject({
			user: { email: other.email }
		});
	});

	it('refuses a call from another site’s page before any procedure runs', async () => {
		const cookie = await login(server.url, user.email, user.password);
		const res = await trpc(server.url, 'auth.logout', undefined, { cookie, origin: 'https://evil.example' });
		expect(res.status).toBe(403);
		expect((await trpc(server.url, 'auth.me', undefined, { cookie, method: 'GET' })).body.result!.data).toMatchObject({
			user: { email: user.email }
		});
	});
});

describe('process', () => {
	it('answers /healthz', async () => {
		const res = await fetch(`${server.url}/healthz`);
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ status: 'ok' });
	});

	it('never logs passwords, tokens or cookies', async () => {
		const cookie = await login(server.url, user.email, user.password);
		const token = cookie.split('=')[1];
		const logs = server.logs.join('\n');
		expect(logs).not.toContain(user.password);
		expect(logs).not.toContain(token);
	});
});

describe('admin CLI', () => {
	it('creates a clinic and a user while the server runs, printing JSON with an id', async () => {
		const created = await admin(env, ['create-clinic', '--name', 'Şişli Diş Kliniği']);
		expect(created.code).toBe(0);
		expect(created.json).toMatchObject({ id: expect.any(String), name: 'Şişli Diş Kliniği' });
		const u = await admin(
			env,
			[
				'create-user',
				'--clinic',
				created.json!.id as string,
				'--email',
				'Dr.Ayse@Example.com',
				'--name',
				'Dr. Ayşe',
				'--role',
				'practitioner'
			],
			'a long enough password\n'
		);
		expect(u.code).toBe(0);
		expect(u.json).toMatchObject({ id: expect.any(String), email: 'dr.ayse@example.com', role: 'practitioner' });
		expect(JSON.stringify(u.json)).not.toContain('password');
		expect(
			(await trpc(server.url, 'auth.login', { email: 'dr.ayse@example.com', password: 'a long enough password' })).status
		).toBe(200);
	});

	it('refuses bad input with a clear message and creates nothing', async () => {
		const cases: [string[], string, RegExp][] = [
			[
				['create-user', '--clinic', clinic, '--email', 'not-an-email', '--name', 'X', '--role', 'admin'],
				'long enough password',
				/email/
			],
			[
				['create-user', '--clinic', clinic, '--email', 'ok@example.com', '--name', 'X', '--role', 'janitor'],
				'long enough password',
				/role/
			],
			[
				['create-user', '--clinic', clinic, '--email', 'ok@example.com', '--name', 'X', '--role', 'admin'],
				'short',
				/at least 10/
			],
			[
				['create-user', '--clinic', 'nosuchclinic', '--email', 'ok@example.com', '--name', 'X', '--role', 'admin'],
				'long enough password',
				/no clinic/
			],
			[
				['create-user', '--clinic', clinic, '--email', user.email, '--name', 'X', '--role', 'admin'],
				'long enough password',
				/already exists/
			],
			[['create-clinic'], '', /name/],
			[['drop-tables'], '', /unknown command/]
		];
		for (const [args, stdin, message] of cases) {
			const result = await admin(env, args, stdin);
			expect(result.code, args.join(' ')).not.toBe(0);
			expect(result.stderr).toMatch(message);
			expect(result.json).toBeNull();
		}
		expect((await trpc(server.url, 'auth.login', { email: 'ok@example.com', password: 'long enough password' })).status).toBe(
			401
		);
	});
});

describe('configuration', () => {
	it('a wrong setting stops start-up with a message naming it', async () => {
		await expect(ServerProcess.start({ ...testEnv(), PORT_UNUSED: '', APP_MASTER_KEY: 'dG9vIHNob3J0' })).rejects.toThrow(
			/APP_MASTER_KEY: must be base64 of exactly 32 bytes/
		);
		await expect(ServerProcess.start({ ...testEnv(), LOG_LEVEL: 'loud' })).rejects.toThrow(/LOG_LEVEL/);
	});
});

describe('first start', () => {
	it('with an empty data folder creates a demo clinic once, and prints its admin sign-in at every start', async () => {
		const fresh = { ...testEnv(), DEMO_CLINIC: 'true' };
		const first = await ServerProcess.start(fresh);
		await first.logged((line) => /password:/.test(line));
		const printed = first.logs.join('\n');
		const email = /email:\s+(\S+)/.exec(printed)?.[1];
		const password = /password:\s+(\S+)/.exec(printed)?.[1];
		expect(email).toBeDefined();
		expect(password).toBeDefined();
		const res = await trpc(first.url, 'auth.login', { email, password });
		expect(res.status).toBe(200);
		expect(res.body.result!.data).toMatchObject({ user: { role: 'admin' } });
		await first.stop();

		const second = await ServerProcess.start(fresh);
		await second.logged((line) => line.includes(`password: ${password}`));
		await second.stop();
		const clinics = await admin(fresh, ['list-clinics']);
		expect((clinics.json as unknown as unknown[]).length).toBe(1);
	});
});
