import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';
import { login, trpc, upgradeStatus } from '../helpers/client.ts';

// Rules SYNC-AUTH-* of docs/spec/sync.md: who may open which doc socket.
let server: ServerProcess;
let clinicA: string;
let clinicB: string;
let adminA: TestUser;
let receptionA: TestUser;
let cookieA: string;
let cookieReception: string;
let cookieB: string;

beforeAll(async () => {
	const env = testEnv();
	clinicA = await createClinic(env, 'Clinic A');
	clinicB = await createClinic(env, 'Clinic B');
	adminA = await createUser(env, clinicA, 'admin');
	receptionA = await createUser(env, clinicA, 'reception');
	const adminB = await createUser(env, clinicB, 'admin');
	server = await ServerProcess.start(env);
	[cookieA, cookieReception, cookieB] = await Promise.all([
		login(server.url, adminA.email, adminA.password),
		login(server.url, receptionA.email, receptionA.password),
		login(server.url, adminB.email, adminB.password)
	]);
});

afterAll(async () => {
	await server?.stop();
});

const own = () => ({ origin: server.url });

describe('SYNC-AUTH-1: an upgrade without a valid session is refused with 401 before the socket opens', () => {
	it('refuses no cookie and no ticket', async () => {
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/inbox`, own())).toBe(401);
	});
	it('refuses an unknown session token', async () => {
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/inbox`, { ...own(), cookie: 'fd_session=abcdef' })).toBe(401);
	});
	it('accepts a valid session cookie from this app', async () => {
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/inbox`, { ...own(), cookie: cookieA })).toBe(101);
	});
});

describe('SYNC-AUTH-2: a cookie counts only with an Origin of this app', () => {
	it('refuses a cookie sent from another site with 403', async () => {
		expect(
			await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/inbox`, { origin: 'https://evil.example', cookie: cookieA })
		).toBe(403);
	});
	it('refuses a cookie without any Origin header with 403', async () => {
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/inbox`, { cookie: cookieA })).toBe(403);
	});
});

describe('SYNC-AUTH-3: a ticket opens one doc once, within 60 s, with or without Origin', () => {
	it('opens the doc it was issued for, once', async () => {
		const res = await trpc(server.url, 'sync.ticket', { doc: `${clinicA}/inbox` }, { cookie: cookieA });
		expect(res.status).toBe(200);
		const { ticket } = res.body.result!.data as { ticket: string };
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/inbox?ticket=${ticket}`)).toBe(101);
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/inbox?ticket=${ticket}`)).toBe(401);
	});
	it('does not open another doc', async () => {
		const res = await trpc(server.url, 'sync.ticket', { doc: `${clinicA}/inbox` }, { cookie: cookieA });
		const { ticket } = res.body.result!.data as { ticket: string };
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/contacts?ticket=${ticket}`)).toBe(401);
	});
	it('is not issued without a session, nor for a doc the user may not open', async () => {
		expect((await trpc(server.url, 'sync.ticket', { doc: `${clinicA}/inbox` })).status).toBe(401);
		expect((await trpc(server.url, 'sync.ticket', { doc: `${clinicA}/inbox` }, { cookie: cookieB })).status).toBe(403);
		expect((await trpc(server.url, 'sync.ticket', { doc: `${clinicA}/note/c1` }, { cookie: cookieReception })).status).toBe(403);
	});
	it('rejects a malformed doc name with a validation error', async () => {
		const res = await trpc(server.url, 'sync.ticket', { doc: `${clinicA}/secrets` }, { cookie: cookieA });
		expect(res.status).toBe(400);
		expect(res.body.error!.data.code).toBe('BAD_REQUEST');
		expect(JSON.stringify(res.body.error!.data.validation)).toContain('not a valid doc name');
	});
});

describe('SYNC-AUTH-4: a user of another clinic is refused with 403', () => {
	it('by cookie', async () => {
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/contacts`, { ...own(), cookie: cookieB })).toBe(403);
	});
});

describe('SYNC-AUTH-5: roles decide doc kinds; reception may not open clinical notes', () => {
	it('refuses reception a note doc with 403', async () => {
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/note/c1`, { ...own(), cookie: cookieReception })).toBe(403);
	});
	it('lets reception open the schedule and an admin the note', async () => {
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/schedule/2026-11`, { ...own(), cookie: cookieReception })).toBe(
			101
		);
		expect(await upgradeStatus(`${server.wsUrl}/sync/${clinicA}/note/c1`, { ...own(), cookie: cookieA })).toBe(101);
	});
});

describe('SYNC-AUTH-6: a malformed doc name is refused with 400, another path with 404', () => {
	it('answers 404 outside /sync/', async () => {
		expect(await upgradeStatus(`${server.wsUrl}/elsewhere/${clinicA}/inbox`, { ...own(), cookie: cookieA })).toBe(404);
	});
	it.each([
		'nope',
		`${clinicA ?? 'x'}/unknown-kind`,
		'a/thread',
		'a/schedule/2026-13',
		'a/inbox/extra',
		'..%2Fetc/inbox',
		'%E0%A4%A'
	])('refuses %s', async (name) => {
		expect(await upgradeStatus(`${server.wsUrl}/sync/${name}`, { ...own(), cookie: cookieA })).toBe(400);
	});
});
