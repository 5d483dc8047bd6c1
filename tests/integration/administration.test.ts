import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { changeClinicProfile, clinicProfile } from '../../src/lib/domain/clinicSettings.ts';
import {
	addAppointment,
	cancelAppointment,
	deleteAppointment,
	listAppointments,
	scheduleDoc
} from '../../src/lib/domain/schedule.ts';
import { closedEvent, connectProvider, login, trpc, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import { admin, createClinic, createUser, ServerProcess, testEnv, type ServerEnv, type TestUser } from '../helpers/server.ts';

/**
 * Clinic administration through the real server and the real admin CLI (ADMIN-* in docs/spec/server.md): staff
 * invited, changed, deactivated and their devices revoked by an admin; the rules that hold whatever the UI shows.
 */
let env: ServerEnv;
let server: ServerProcess;
let clinic: string;
let otherClinic: string;
let adminUser: TestUser;
let adminCookie: string;
let reception: TestUser;
let receptionCookie: string;
let practitioner: TestUser;
let practitionerCookie: string;
let outsider: TestUser;
let outsiderCookie: string;

type Result<T> = { status: number; data: T; code: string | undefined; message: string | undefined };

async function call<T = unknown>(
	procedure: string,
	input: unknown,
	cookie?: string,
	method: 'GET' | 'POST' = 'POST'
): Promise<Result<T>> {
	const res = await trpc(server.url, procedure, input, { cookie, method });
	return {
		status: res.status,
		data: res.body.result?.data as T,
		code: res.body.error?.data.code,
		message: res.body.error?.message
	};
}

interface Member {
	id: string;
	email: string;
	role: string;
	active: boolean;
	passwordSet: boolean;
	practitionerId: string | null;
	invitation: { expiresAt: number } | null;
	sessions: { id: string; current: boolean }[];
}

const staff = async (cookie = adminCookie) => (await call<Member[]>('staff.list', undefined, cookie, 'GET')).data;
const member = async (id: string) => (await staff()).find((m) => m.id === id)!;

beforeAll(async () => {
	env = testEnv({ SESSION_RECHECK_MS: '200' });
	clinic = await createClinic(env, 'Admin Klinik');
	otherClinic = await createClinic(env, 'Other Klinik');
	adminUser = await createUser(env, clinic, 'admin');
	reception = await createUser(env, clinic, 'reception');
	practitioner = await createUser(env, clinic, 'practitioner');
	outsider = await createUser(env, otherClinic, 'admin');
	server = await ServerProcess.start(env);
	adminCookie = await login(server.url, adminUser.email, adminUser.password);
	receptionCookie = await login(server.url, reception.email, reception.password);
	practitionerCookie = await login(server.url, practitioner.email, practitioner.password);
	outsiderCookie = await login(server.url, outsider.email, outsider.password);
});

afterAll(async () => {
	await server?.stop();
});

describe('ADMIN-INVITE-1: an invitation is a single-use link with an expiry', () => {
	it('lets the person choose a password and signs them in; the link then stops working', async () => {
		const invited = await call<{ member: Member; invitation: { token: string; expiresAt: number } }>(
			'staff.invite',
			{ name: 'Zeynep Aksoy', email: 'Zeynep@Example.com', role: 'reception' },
			adminCookie
		);
		expect(invited.status).toBe(200);
		const { token, expiresAt } = invited.data.invitation;
		expect(expiresAt).toBeGreaterThan(Date.now() + 71 * 3600_000);
		expect(invited.data.member).toMatchObject({ email: 'zeynep@example.com', passwordSet: false, active: true });

		// Without a password nobody signs in as her, not even with an empty one.
		expect((await call('auth.login', { email: 'zeynep@example.com', password: 'anything at all' })).status).toBe(401);

		const seen = await call<{ email: string; clinicName: string }>('invitation.inspect', { token }, undefined, 'GET');
		expect(seen.data).toMatchObject({
			email: 'zeynep@example.com',
			name: 'Zeynep Aksoy',
			clinicName: 'Admin Klinik',
			role: 'reception'
		});

		const short = await call('invitation.accept', { token, password: 'short' });
		expect(short.status).toBe(400);
		// A refused password does not use the link up.
		const accepted = await trpc(server.url, 'invitation.accept', { token, password: 'zeynep chose this' });
		expect(accepted.status).toBe(200);
		const cookie = accepted.setCookie.find((c) => c.startsWith('fd_session='))!.split(';')[0];
		const me = await call<{ user: { email: string } }>('auth.me', undefined, cookie, 'GET');
		expect(me.data.user.email).toBe('zeynep@example.com');

		expect((await call('invitation.accept', { token, password: 'someone else now' })).code).toBe('NOT_FOUND');
		expect((await call('invitation.inspect', { token }, undefined, 'GET')).code).toBe('NOT_FOUND');
		expect((await member(invited.data.member.id)).passwordSet).toBe(true);
		await login(server.url, 'zeynep@example.com', 'zeynep chose this');
	});

	it('a new link replaces the old one; a link past its expiry is refused', async () => {
		const invited = await call<{ member: Member; invitation: { token: string } }>(
			'staff.invite',
			{ name: 'Can Er', email: 'can@example.com', role: 'practitioner', practitionerId: 'p-can' },
			adminCookie
		);
		expect(invited.data.member.practitionerId).toBe('p-can');
		const again = await call<{ token: string }>('staff.reinvite', { userId: invited.data.member.id }, adminCookie);
		expect((await call('invitation.inspect', { token: invited.data.invitation.token }, undefined, 'GET')).code).toBe('NOT_FOUND');
		expect((await call('invitation.inspect', { token: again.data.token }, undefined, 'GET')).status).toBe(200);
		expect((await call('invitation.inspect', { token: 'x'.repeat(52) }, undefined, 'GET')).code).toBe('NOT_FOUND');
		expect((await call('invitation.inspect', { token: '../etc' }, undefined, 'GET')).status).toBe(400);
	});

	it('an email already in use is a conflict, and invalid input changes nothing', async () => {
		const before = (await staff()).length;
		const taken = await call('staff.invite', { name: 'Dup', email: reception.email, role: 'reception' }, adminCookie);
		expect(taken.code).toBe('CONFLICT');
		expect(taken.message).toMatch(/already exists/);
		expect((await call('staff.invite', { name: '', email: 'not-an-email', role: 'boss' }, adminCookie)).status).toBe(400);
		expect((await staff()).length).toBe(before);
	});
});

describe('ADMIN-ROLE-1: administration is for the clinic’s admins only', () => {
	it('reception and practitioners are refused every staff procedure, and changing nothing', async () => {
		for (const cookie of [receptionCookie, practitionerCookie]) {
			expect((await call('staff.list', undefined, cookie, 'GET')).code).toBe('FORBIDDEN');
			expect((await call('staff.invite', { name: 'X', email: 'x@example.com', role: 'admin' }, cookie)).code).toBe('FORBIDDEN');
			expect((await call('staff.update', { userId: adminUser.id, role: 'reception' }, cookie)).code).toBe('FORBIDDEN');
			expect((await call('staff.deactivate', { userId: adminUser.id }, cookie)).code).toBe('FORBIDDEN');
			expect((await call('staff.revokeAll', { userId: adminUser.id }, cookie)).code).toBe('FORBIDDEN');
		}
		expect((await call('staff.list', undefined, undefined, 'GET')).code).toBe('UNAUTHORIZED');
		expect(await member(adminUser.id)).toMatchObject({ role: 'admin', active: true });
		expect((await call('auth.me', undefined, adminCookie, 'GET')).status).toBe(200);
	});

	it('an admin of another clinic cannot see or touch this clinic’s staff', async () => {
		const theirs = await staff(outsiderCookie);
		expect(theirs.map((m) => m.email)).toEqual([outsider.email]);
		expect((await call('staff.update', { userId: reception.id, role: 'admin' }, outsiderCookie)).code).toBe('NOT_FOUND');
		expect((await call('staff.deactivate', { userId: reception.id }, outsiderCookie)).code).toBe('NOT_FOUND');
		const target = (await member(reception.id)).sessions[0];
		expect((await call('staff.revokeSession', { sessionId: target.id }, outsiderCookie)).code).toBe('NOT_FOUND');
		expect((await member(reception.id)).role).toBe('reception');
		expect((await call('auth.me', undefined, receptionCookie, 'GET')).data).toMatchObject({ user: { email: reception.email } });
	});

	it('reports’ staff figures are for admins and practitioners, not reception', async () => {
		const month = new Date().toISOString().slice(0, 7);
		expect((await call('reports.staffFigures', { month }, adminCookie, 'GET')).status).toBe(200);
		expect((await call('reports.staffFigures', { month }, practitionerCookie, 'GET')).status).toBe(200);
		expect((await call('reports.staffFigures', { month }, receptionCookie, 'GET')).code).toBe('FORBIDDEN');
		expect((await call('reports.staffFigures', { month: '2026-13' }, adminCookie, 'GET')).status).toBe(400);
	});
});

describe('SYNC-RULE-1: the server holds the schedule’s rules on who deletes what', () => {
	it('refuses reception’s deletion of an admin’s appointment (closing its socket, storing nothing) and takes a cancellation', async () => {
		const docName = `${clinic}/schedule/2026-11`;
		const open = async (cookie: string) => {
			const doc = new Y.Doc();
			const provider = connectProvider(server.wsUrl, docName, { cookie, origin: server.url, doc });
			await whenSynced(provider);
			return { doc, provider, schedule: scheduleDoc(docName, doc) };
		};
		const desk = await open(adminCookie);
		const booked = addAppointment(desk.schedule, {
			practitionerId: 'p1',
			start: '2026-11-26T10:00',
			durationMinutes: 30,
			patientName: 'Zeynep Arslan',
			createdBy: adminUser.id
		});
		const front = await open(receptionCookie);
		await whenDoc(front.doc, (d) => listAppointments(d).length === 1);

		const closed = closedEvent(front.provider);
		deleteAppointment(front.schedule, booked.id);
		expect(await closed).toMatchObject({ code: 4422, reason: expect.stringMatching(/cancels/) });
		front.provider.destroy();

		const check = await open(receptionCookie);
		expect(listAppointments(check.doc).map((a) => a.id)).toEqual([booked.id]);
		cancelAppointment(check.schedule, booked.id);
		await whenDoc(desk.doc, (d) => listAppointments(d)[0]?.status === 'cancelled');
		check.provider.destroy();
		desk.provider.destroy();
	});
});

describe('ADMIN-LAST-1: a clinic always keeps at least one active admin', () => {
	it('the last admin can be neither demoted nor deactivated; with a second admin, they can', async () => {
		const demote = await call('staff.update', { userId: adminUser.id, role: 'reception' }, adminCookie);
		expect(demote.code).toBe('CONFLICT');
		expect(demote.message).toMatch(/at least one active admin/);
		expect((await call('staff.deactivate', { userId: adminUser.id }, adminCookie)).code).toBe('CONFLICT');
		expect(await member(adminUser.id)).toMatchObject({ role: 'admin', active: true });

		const second = await createUser(env, clinic, 'admin');
		expect((await call('staff.update', { userId: second.id, role: 'practitioner' }, adminCookie)).status).toBe(200);
		expect((await member(second.id)).role).toBe('practitioner');
		expect((await call('staff.update', { userId: second.id, role: 'admin' }, adminCookie)).status).toBe(200);
		expect((await call('staff.deactivate', { userId: second.id }, adminCookie)).status).toBe(200);
	});
});

describe('ADMIN-ROLE-2: a role change applies to open sockets at once', () => {
	it('a demoted admin’s open directory socket reconnects, and then may only read', async () => {
		const person = await createUser(env, clinic, 'admin');
		const cookie = await login(server.url, person.email, person.password);
		const provider = connectProvider(server.wsUrl, `${clinic}/directory`, { cookie, origin: server.url });
		await whenSynced(provider);
		const reconnect = closedEvent(provider);
		expect((await call('staff.update', { userId: person.id, role: 'reception' }, adminCookie)).status).toBe(200);
		expect((await withTimeout(reconnect, 5000, 'closed on role change')).code).toBe(4409);
		// The stock client stops on an application close code; the device's connection reconnects, as here.
		provider.connect();
		await withTimeout(whenSynced(provider), 5000, 'synced again');
		const refused = closedEvent(provider);
		provider.doc.getMap('clinic').set('name', 'Hijacked');
		expect((await withTimeout(refused, 5000, 'write refused')).code).toBe(4405);
		provider.destroy();
	});
});

describe('ADMIN-DEACTIVATE-1: deactivation ends sessions and sockets at once', () => {
	it('closes the user’s open socket, refuses their cookie and their password; reactivation lets them sign in again', async () => {
		const person = await createUser(env, clinic, 'reception');
		const cookie = await login(server.url, person.email, person.password);
		const provider = connectProvider(server.wsUrl, `${clinic}/inbox`, { cookie, origin: server.url });
		await whenSynced(provider);
		const closed = closedEvent(provider);
		const result = await call<Member>('staff.deactivate', { userId: person.id }, adminCookie);
		expect(result.data).toMatchObject({ active: false, sessions: [] });
		expect((await closed).code).toBe(4401);
		provider.destroy();
		expect((await call('auth.me', undefined, cookie, 'GET')).data).toEqual({ user: null });
		expect((await call('auth.login', { email: person.email, password: person.password })).status).toBe(401);
		expect((await call('sync.ticket', { doc: `${clinic}/inbox` }, cookie)).status).toBe(401);

		expect((await call('staff.reactivate', { userId: person.id }, adminCookie)).data).toMatchObject({ active: true });
		await login(server.url, person.email, person.password);
	});
});

describe('ADMIN-DEVICES-1: devices are revoked by admins, by their owner, and by a password change', () => {
	it('an admin sees a person’s devices and revokes one, then all', async () => {
		const person = await createUser(env, clinic, 'practitioner');
		const tablet = await login(server.url, person.email, person.password);
		const desk = await login(server.url, person.email, person.password);
		const devices = (await member(person.id)).sessions;
		expect(devices).toHaveLength(2);
		expect(devices.every((d) => !d.current)).toBe(true);
		const tabletId = (await call<{ id: string; current: boolean }[]>('auth.sessions', undefined, tablet, 'GET')).data.find(
			(s) => s.current
		)!.id;
		expect((await call('staff.revokeSession', { sessionId: tabletId }, adminCookie)).status).toBe(200);
		expect((await call('auth.me', undefined, tablet, 'GET')).data).toEqual({ user: null });
		expect((await call('auth.me', undefined, desk, 'GET')).data).not.toEqual({ user: null });
		expect((await call<{ ended: number }>('staff.revokeAll', { userId: person.id }, adminCookie)).data).toEqual({ ended: 1 });
		expect((await call('auth.me', undefined, desk, 'GET')).data).toEqual({ user: null });
	});

	it('“sign out all my other devices” keeps this one', async () => {
		const person = await createUser(env, clinic, 'reception');
		const here = await login(server.url, person.email, person.password);
		const there = await login(server.url, person.email, person.password);
		expect((await call<{ ended: number }>('auth.revokeOthers', undefined, here)).data).toEqual({ ended: 1 });
		expect((await call('auth.me', undefined, here, 'GET')).data).not.toEqual({ user: null });
		expect((await call('auth.me', undefined, there, 'GET')).data).toEqual({ user: null });
	});

	it('changing one’s password needs the current one and ends the other sessions', async () => {
		const person = await createUser(env, clinic, 'reception');
		const here = await login(server.url, person.email, person.password);
		const there = await login(server.url, person.email, person.password);
		const wrong = await call('account.changePassword', { current: 'not my password', next: 'a brand new password' }, here);
		expect(wrong.code).toBe('FORBIDDEN');
		expect((await call('account.changePassword', { current: person.password, next: 'short' }, here)).status).toBe(400);
		await login(server.url, person.email, person.password);
		const changed = await call<{ endedOtherSessions: number }>(
			'account.changePassword',
			{ current: person.password, next: 'a brand new password' },
			here
		);
		expect(changed.data.endedOtherSessions).toBe(2);
		expect((await call('auth.me', undefined, here, 'GET')).data).not.toEqual({ user: null });
		expect((await call('auth.me', undefined, there, 'GET')).data).toEqual({ user: null });
		expect((await call('auth.login', { email: person.email, password: person.password })).status).toBe(401);
		await login(server.url, person.email, 'a brand new password');
	});

	it('guessing the current password is held back like guessing at the login', async () => {
		const person = await createUser(env, clinic, 'reception');
		const cookie = await login(server.url, person.email, person.password);
		const codes: (string | undefined)[] = [];
		for (let i = 0; i < 7; i++) {
			codes.push(
				(await call('account.changePassword', { current: `guess number ${i}`, next: 'a brand new password' }, cookie)).code
			);
		}
		expect(codes.slice(0, 5)).toEqual(Array(5).fill('FORBIDDEN'));
		expect(codes).toContain('TOO_MANY_REQUESTS');
	});
});

describe('ADMIN-CLI-1: the admin CLI and the app show the same clinic', () => {
	it('list-clinics and list-users print JSON of what the app shows; reset-password sets a given or generated password', async () => {
		const clinics = (await admin(env, ['list-clinics'])).json as unknown as { id: string; name: string; users: number }[];
		expect(clinics.map((c) => c.id)).toEqual([clinic, otherClinic]);
		expect(clinics[0].name).toBe('Admin Klinik');

		const listed = await admin(env, ['list-users', '--clinic', clinic]);
		expect(listed.code).toBe(0);
		const users = listed.json as unknown as { email: string; role: string; active: boolean }[];
		expect(users.map((u) => u.email).sort()).toEqual((await staff()).map((m) => m.email).sort());
		expect(clinics[0].users).toBe(users.length);

		// Deactivated in the app: the CLI shows it.
		const person = await createUser(env, clinic, 'reception');
		await call('staff.deactivate', { userId: person.id }, adminCookie);
		const after = (await admin(env, ['list-users', '--clinic', clinic])).json as unknown as { id: string; active: boolean }[];
		expect(after.find((u) => u.id === person.id)?.active).toBe(false);
		await call('staff.reactivate', { userId: person.id }, adminCookie);

		const cookie = await login(server.url, person.email, person.password);
		const given = await admin(env, ['reset-password', '--email', person.email.toUpperCase()], 'set by the cli\n');
		expect(given.code).toBe(0);
		expect(given.json).toMatchObject({ id: person.id, endedSessions: 1 });
		expect(given.json).not.toHaveProperty('password');
		expect((await call('auth.me', undefined, cookie, 'GET')).data).toEqual({ user: null });
		await login(server.url, person.email, 'set by the cli');

		const generated = await admin(env, ['reset-password', '--email', person.email]);
		const password = generated.json?.password as string;
		expect(password.length).toBeGreaterThanOrEqual(16);
		await login(server.url, person.email, password);
	});

	it('ADMIN-NAME-1 the clinic’s name: the app shows the one the CLI made, and a rename in Settings reaches the CLI', async () => {
		const doc = new Y.Doc();
		const provider = connectProvider(server.wsUrl, `${otherClinic}/directory`, {
			cookie: outsiderCookie,
			origin: server.url,
			doc
		});
		await whenDoc(doc, (d) => clinicProfile(d).name === 'Other Klinik');
		changeClinicProfile(doc, { name: 'Şifa Polikliniği' });
		const renamed = async () => {
			const clinics = (await admin(env, ['list-clinics'])).json as unknown as { id: string; name: string }[];
			return clinics.find((c) => c.id === otherClinic)?.name;
		};
		// The row follows the commit; the CLI is another process, so ask until it shows (each run takes ~1 s).
		let name = await renamed();
		for (let i = 0; i < 5 && name !== 'Şifa Polikliniği'; i++) name = await renamed();
		expect(name).toBe('Şifa Polikliniği');
		provider.destroy();
	});

	it('refuses unknown clinics, users and commands with a clear message and a non-zero exit', async () => {
		const noClinic = await admin(env, ['list-users', '--clinic', 'nope']);
		expect(noClinic.code).toBe(1);
		expect(noClinic.stderr).toMatch(/no clinic with id nope/);
		const noUser = await admin(env, ['reset-password', '--email', 'nobody@example.com'], 'whatever password');
		expect(noUser.code).toBe(1);
		expect(noUser.stderr).toMatch(/no user with email/);
		const short = await admin(env, ['reset-password', '--email', reception.email], 'short');
		expect(short.code).toBe(1);
		expect(short.stderr).toMatch(/at least 10 characters/);
		await login(server.url, reception.email, reception.password);
		const missing = await admin(env, ['list-users']);
		expect(missing.code).toBe(64);
		expect(missing.stderr).toMatch(/--clinic is required/);
	});
});
