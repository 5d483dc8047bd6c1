import { now as nowIn } from '@internationalized/date';
import type { calendar_v3 } from '@googleapis/calendar';
import http from 'node:http';
import type * as Y from 'yjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listBusy, lostVersions } from '../../src/lib/domain/calendarBusy.ts';
import { DEFAULT_TIME_ZONE } from '../../src/lib/domain/clinicSettings.ts';
import { addPractitioner } from '../../src/lib/domain/directory.ts';
import { createPatient, mergePatients, updatePatient } from '../../src/lib/domain/patients.ts';
import { addAppointment, changeAppointment, findAppointment, monthOf, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { addService } from '../../src/lib/domain/services.ts';
import { connectProvider, login, pollUntil, trpc, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import { FakeGoogle, googleEnv } from '../helpers/fakeGoogle.ts';
import {
	admin,
	createClinic,
	createUser,
	freePort,
	limitHits,
	ServerProcess,
	testEnv,
	type ServerEnv,
	type TestUser
} from '../helpers/server.ts';

// Two-way sync with a practitioner's Google Calendar (SCHEDULE-GOOGLE-*), the real server and Google's own client
// against a local fake of the Calendar API: what is booked goes out, what is changed there comes in, and neither
// a crash, a rate limit, an expired sync token nor an edit on both sides at once loses or doubles anything.
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const undo of cleanup.splice(0).reverse()) await undo();
});

interface Setup {
	google: FakeGoogle;
	env: ServerEnv;
	port: number;
	server: ServerProcess;
	clinic: string;
	adminCookie: string;
	practitionerUser: TestUser;
	practitionerCookie: string;
	practitionerId: string;
	/** The practitioner's own Google account: its calendar id and refresh token. */
	calendar: string;
	refreshToken: string;
	patientId: string;
	serviceId: string;
	/** A day a week ahead, `YYYY-MM-DD`, and its month. */
	day: string;
	month: string;
}

function open(s: Pick<Setup, 'server' | 'adminCookie'>, docName: string) {
	const provider = connectProvider(s.server.wsUrl, docName, { cookie: s.adminCookie, origin: s.server.url });
	cleanup.push(async () => provider.destroy());
	return provider;
}

async function edit<T>(s: Pick<Setup, 'server' | 'adminCookie'>, docName: string, change: (doc: Y.Doc) => T): Promise<T> {
	const provider = open(s, docName);
	await withTimeout(whenSynced(provider), 5000, `sync ${docName}`);
	return change(provider.doc);
}

async function docWhen(s: Setup, docName: string, predicate: (doc: Y.Doc) => boolean, what: string): Promise<Y.Doc> {
	const provider = open(s, docName);
	await withTimeout(whenDoc(provider.doc, predicate), 15_000, what);
	return provider.doc;
}

interface Clinic {
	google: FakeGoogle;
	env: ServerEnv;
	port: number;
	server: ServerProcess;
	clinic: string;
	adminCookie: string;
	serviceId: string;
	patientId: string;
}

/**
 * A clinic with a service and a patient on a running server pointed at the fake Google. `intervalMs`: the server's
 * periodic look at the calendars (a minute by default: then only notifications drive the sync).
 */
async function startClinic(intervalMs = 60_000, extraEnv: Record<string, string> = {}): Promise<Clinic> {
	const google = await FakeGoogle.start();
	const port = await freePort();
	const env = testEnv({
		...googleEnv(google, port),
		CALENDAR_INTERVAL_MS: String(intervalMs),
		CALENDAR_RETRY_BASE_MS: '50',
		...extraEnv
	});
	const clinic = await createClinic(env, 'Takvim Klinik');
	const adminUser = await createUser(env, clinic, 'admin');
	const server = await ServerProcess.start(env, port);
	const adminCookie = await login(server.url, adminUser.email, adminUser.password);
	const s0 = { server, adminCookie };
	const serviceId = await edit(s0, `${clinic}/directory`, (d) => addService(d, { name: 'Dolgu', durationMinutes: 30 }).id);
	const patientId = await edit(s0, `${clinic}/contacts`, (d) =>
		createPatient(d, { name: 'İpek Şahin', phones: ['0532 123 45 67'] })
	);
	return { google, env, port, server, clinic, adminCookie, serviceId, patientId };
}

let shared: Clinic | null = null;
let practitioners = 0;
afterAll(async () => {
	await shared?.server.stop('SIGKILL');
	await shared?.google.close();
});

/**
 * A practitioner of the clinic (in the directory, and a user invited and signed in as them) with a Google account
 * of their own. Tests share one server and clinic; each has its own practitioner and calendar.
 */
async function addPractitionerWithGoogle(c: Clinic): Promise<Omit<Setup, keyof Clinic | 'day' | 'month'>> {
	const n = ++practitioners;
	const calendar = `dr${n}@example.com`;
	const refreshToken = `refresh-dr-${n}`;
	c.google.addAccount({ refreshToken, calendars: [{ id: calendar, summary: `Dr. ${n}`, primary: true }] });
	const practitionerId = await edit(c, `${c.clinic}/directory`, (d) => addPractitioner(d, { name: `Dr. Ayşe ${n}` }).id);
	const email = `dr${n}-${process.pid}@example.com`;
	const invited = await trpc(
		c.server.url,
		'staff.invite',
		{ name: `Dr. Ayşe ${n}`, email, role: 'practitioner', practitionerId },
		{ cookie: c.adminCookie }
	);
	expect(invited.status).toBe(200);
	const { member, invitation } = invited.body.result!.data as { member: { id: string }; invitation: { token: string } };
	const password = `correct horse dr ${n}`;
	expect((await trpc(c.server.url, 'invitation.accept', { token: invitation.token, password })).status).toBe(200);
	const practitionerCookie = await login(c.server.url, email, password);
	return {
		practitionerUser: { id: member.id, clinicId: c.clinic, email, password, name: `Dr. Ayşe ${n}` },
		practitionerCookie,
		practitionerId,
		calendar,
		refreshToken
	};
}

/**
 * Google consents for the practitioner (the fake's consent screen answers at once) and the calendar is picked, as
 * the Settings screen does it.
 */
async function connectThroughApp(
	s: Pick<Setup, 'server' | 'google' | 'practitionerId' | 'practitionerCookie' | 'calendar' | 'refreshToken'>
): Promise<void> {
	const cookie = s.practitionerCookie;
	s.google.consentAs(s.refreshToken);
	const started = await trpc(s.server.url, 'calendar.connectUrl', { practitionerId: s.practitionerId }, { cookie });
	expect(started.status).toBe(200);
	const consent = await fetch((started.body.result!.data as { url: string }).url, { redirect: 'manual' });
	const callback = new URL(consent.headers.get('location')!);
	const landed = await fetch(`${s.server.url}${callback.pathname}${callback.search}`, {
		redirect: 'manual',
		headers: { cookie }
	});
	expect(landed.headers.get('location')).toBe(`/settings/calendar?practitioner=${s.practitionerId}&pick=1`);
	expect(
		(await trpc(s.server.url, 'calendar.pick', { practitionerId: s.practitionerId, calendarId: s.calendar }, { cookie })).status
	).toBe(200);
}

/**
 * A practitioner with their calendar connected: through the app (on the shared server, unless `own`), by the admin
 * CLI (on a server of its own whose periodic look, every 300 ms, takes the link), or not at all.
 */
async function setup(
	options: { connect?: 'app' | 'cli' | false; own?: boolean; env?: Record<string, string>; channelTtlSeconds?: number } = {}
): Promise<Setup> {
	const connect = options.connect ?? 'app';
	let c: Clinic;
	if (options.own || connect === 'cli') {
		c = await startClinic(connect === 'cli' ? 300 : 60_000, options.env);
		c.google.channelTtlSeconds = options.channelTtlSeconds;
		cleanup.push(() => c.google.close());
		cleanup.push(() => c.server.stop('SIGKILL'));
	} else c = shared ??= await startClinic();
	const who = await addPractitionerWithGoogle(c);
	const day = nowIn(DEFAULT_TIME_ZONE).add({ days: 7 }).toString().slice(0, 10);
	const s: Setup = { ...c, ...who, day, month: monthOf(day) };
	const before = c.google.channels.length;
	if (connect === 'cli') {
		const connected = await admin(
			c.env,
			['connect-google', '--user', who.practitionerUser.id, '--calendar', who.calendar],
			who.refreshToken
		);
		expect(connected.code, connected.stderr).toBe(0);
		expect(connected.json).toMatchObject({ practitionerId: who.practitionerId, calendarId: who.calendar });
	} else if (connect === 'app') await connectThroughApp(s);
	if (connect) {
		// A full listing and a push channel (the CLI's link is taken at the server's next look).
		await pollUntil(() => c.google.channels.length === before + 1, 'the push channel');
		await pollUntil(
			() =>
				c.google.requests.some(
					(r) => r.method === 'GET' && r.path.includes(encodeURIComponent(who.calendar)) && r.status === 200
				),
			'the first listing'
		);
	}
	return s;
}

const scheduleName = (s: Setup, month = s.month) => `${s.clinic}/schedule/${month}`;

async function book(s: Setup, time: string, minutes = 30): Promise<string> {
	return edit(s, scheduleName(s), (d) =>
		addAppointment(scheduleDoc(scheduleName(s), d), {
			practitionerId: s.practitionerId,
			patientId: s.patientId,
			serviceId: s.serviceId,
			start: `${s.day}T${time}`,
			durationMinutes: minutes
		})
	).then((a) => a.id);
}

const ours = (s: Setup, appointmentId: string, includeDeleted = false): calendar_v3.Schema$Event | undefined =>
	s.google
		.events(s.calendar, { includeDeleted })
		.find((e) => e.extendedProperties?.private?.frontdeskAppointment === appointmentId);

/** What a notification of the channel carries, as Google sends it. */
function channelHeaders(s: Setup): Record<string, string> {
	const channel = s.google.channels.find((c) => c.calendarId === s.calendar)!;
	return {
		'x-goog-channel-id': channel.id,
		'x-goog-channel-token': channel.token!,
		'x-goog-resource-id': channel.resourceId,
		'x-goog-resource-state': 'exists'
	};
}

interface RawAnswer {
	status: number;
	headers: http.IncomingHttpHeaders;
	/** The server ended the connection after its answer. */
	closed: boolean;
	/** The server asked for the body (`100 Continue`). */
	continued: boolean;
}

/**
 * A request with full control of its framing (fetch picks its own): without a body, with one of a declared
 * length, chunked (never finished: the answer must not wait for it), or announced with `Expect: 100-continue`.
 */
function rawRequest(
	s: Pick<Setup, 'server'>,
	method: string,
	pathAndQuery: string,
	headers: Record<string, string>,
	body?: { data: string; framing: 'length' | 'chunked' | 'continue' }
): Promise<RawAnswer> {
	return new Promise((resolve, reject) => {
		const all = { ...headers };
		if (body && body.framing !== 'chunked') all['content-length'] = String(Buffer.byteLength(body.data));
		// Said outright: Node frames a GET's body only when told to.
		if (body?.framing === 'chunked') all['transfer-encoding'] = 'chunked';
		if (body?.framing === 'continue') all.expect = '100-continue';
		const req = http.request(`${s.server.url}${pathAndQuery}`, { method, headers: all, agent: false });
		let continued = false;
		let answered = false;
		req.on('continue', () => {
			continued = true;
			req.end(body!.data);
		});
		req.on('response', (res) => {
			answered = true;
			res.resume();
			res.on('end', () => {
				const done = (closed: boolean) => {
					resolve({ status: res.statusCode ?? 0, headers: res.headers, closed, continued });
					req.destroy();
				};
				const socket = req.socket;
				if (res.headers.connection !== 'close') return done(false);
				if (!socket || socket.destroyed || socket.readableEnded) return done(true);
				socket.once('end', () => done(true));
				socket.once('close', () => done(true));
			});
		});
		// Writing on after the server has closed fails, as it should.
		req.on('error', (error) => (answered ? undefined : reject(error)));
		if (!body) req.end();
		else if (body.framing === 'length') req.end(body.data);
		else if (body.framing === 'chunked') req.write(body.data);
		else req.flushHeaders();
	});
}

/** A push notification, as Google sends it (or with a body it never has). */
const notify = (
	s: Pick<Setup, 'server'>,
	headers: Record<string, string>,
	body?: { data: string; framing: 'length' | 'chunked' | 'continue' }
) => rawRequest(s, 'POST', '/webhooks/google/calendar', headers, body);

/** This practitioner's busy blocks on the test's day (the shared clinic's month doc holds other tests' too). */
const ownBusy = (s: Setup, d: Y.Doc) => listBusy(d, s.day).filter((b) => b.practitionerId === s.practitionerId);

/** Istanbul is UTC+3 all year: a wall time there as the instant Google holds. */
const instant = (wall: string) => new Date(`${wall}:00+03:00`).getTime();
const startOf = (e: calendar_v3.Schema$Event | undefined) => (e?.start?.dateTime ? new Date(e.start.dateTime).getTime() : NaN);
/** Requests of one method to this practitioner's calendar (the fake serves every test's). */
const requestsOf = (s: Setup, method: string, suffix = '/events') =>
	s.google.requests.filter(
		(r) => r.method === method && r.path.includes(encodeURIComponent(s.calendar)) && r.path.endsWith(suffix)
	).length;

/** This practitioner's link as `calendar.status` gives it (to the practitioner, or to whoever's cookie is given). */
async function linkOf(s: Setup, cookie = s.practitionerCookie): Promise<Record<string, unknown> | undefined> {
	const status = await trpc(s.server.url, 'calendar.status', undefined, { cookie, method: 'GET' });
	expect(status.status).toBe(200);
	const { links } = status.body.result!.data as { links: { practitionerId: string }[] };
	return links.find((l) => l.practitionerId === s.practitionerId);
}

describe('SCHEDULE-GOOGLE-2: the book goes out to the practitioner’s calendar', () => {
	it('a booking is inserted once with the service and initials only, a move patches it, a cancellation deletes it', async () => {
		const s = await setup();
		const id = await book(s, '10:00');
		await pollUntil(() => ours(s, id) !== undefined, 'the event in Google');
		const event = ours(s, id)!;
		expect(event.summary).toBe('Dolgu · İ. Ş.');
		expect(JSON.stringify(event)).not.toContain('İpek');
		expect(startOf(event)).toBe(instant(`${s.day}T10:00`));
		expect(new Date(event.end!.dateTime!).getTime()).toBe(instant(`${s.day}T10:30`));
		expect(requestsOf(s, 'POST')).toBe(1);

		await edit(s, scheduleName(s), (d) => changeAppointment(scheduleDoc(scheduleName(s), d), id, { start: `${s.day}T11:15` }));
		await pollUntil(() => startOf(ours(s, id)) === instant(`${s.day}T11:15`), 'the event moved in Google');

		await edit(s, scheduleName(s), (d) => changeAppointment(scheduleDoc(scheduleName(s), d), id, { status: 'cancelled' }));
		await pollUntil(() => ours(s, id) === undefined, 'the event deleted in Google');
		expect(ours(s, id, true)?.status).toBe('cancelled');
		// Our own writes came back as notifications and listings: recognized, never written again.
		expect(requestsOf(s, 'POST')).toBe(1);
	});
});

describe('SCHEDULE-GOOGLE-13: a patient renamed or merged is renamed in their events too', () => {
	it('the initials follow a rename and a merge; only that patient’s events are written again', async () => {
		const s = await setup();
		const contacts = `${s.clinic}/contacts`;
		const ayla = await edit(s, contacts, (d) => createPatient(d, { name: 'Ayla Kurt' }));
		const deniz = await edit(s, contacts, (d) => createPatient(d, { name: 'Deniz Ak' }));
		const bookFor = (patientId: string, time: string) =>
			edit(s, scheduleName(s), (d) =>
				addAppointment(scheduleDoc(scheduleName(s), d), {
					practitionerId: s.practitionerId,
					patientId,
					serviceId: s.serviceId,
					start: `${s.day}T${time}`,
					durationMinutes: 30
				})
			).then((a) => a.id);
		const hers = await bookFor(ayla, '09:00');
		const other = await bookFor(s.patientId, '14:00');
		await pollUntil(() => ours(s, hers)?.summary === 'Dolgu · A. K.' && ours(s, other) !== undefined, 'both events');
		const patches = (appointmentId: string) =>
			s.google.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/${ours(s, appointmentId)!.id}`)).length;

		await edit(s, contacts, (d) => updatePatient(d, ayla, { name: 'Ceren Kurt' }));
		await pollUntil(() => ours(s, hers)?.summary === 'Dolgu · C. K.', 'the new initials in Google');
		// Merged into another patient: her appointment is now theirs, and says so.
		await edit(s, contacts, (d) => mergePatients(d, deniz, ayla, { at: new Date(), userId: null }));
		await pollUntil(() => ours(s, hers)?.summary === 'Dolgu · D. A.', 'the kept patient’s initials in Google');
		expect(patches(hers)).toBe(2);
		expect(patches(other)).toBe(0);
		expect(ours(s, other)?.summary).toBe('Dolgu · İ. Ş.');
	});
});

describe('SCHEDULE-GOOGLE-3: what changes in Google changes the book', () => {
	it('an event moved in Google moves the appointment, also into another month; deleted there, it is cancelled here', async () => {
		const s = await setup();
		const id = await book(s, '09:00');
		await pollUntil(() => ours(s, id) !== undefined, 'the event in Google');
		const eventId = ours(s, id)!.id!;

		s.google.updateEvent(s.calendar, eventId, {
			start: { dateTime: `${s.day}T13:00:00+03:00` },
			end: { dateTime: `${s.day}T13:45:00+03:00` }
		});
		await docWhen(
			s,
			scheduleName(s),
			(d) => findAppointment(d, id)?.start === `${s.day}T13:00` && findAppointment(d, id)?.durationMinutes === 45,
			'the appointment moved to 13:00 for 45 minutes'
		);

		const later = nowIn(DEFAULT_TIME_ZONE).add({ days: 7 }).add({ months: 1 }).toString().slice(0, 10);
		s.google.updateEvent(s.calendar, eventId, {
			start: { dateTime: `${later}T10:00:00+03:00` },
			end: { dateTime: `${later}T10:30:00+03:00` }
		});
		await docWhen(
			s,
			scheduleName(s, monthOf(later)),
			(d) => findAppointment(d, id)?.start === `${later}T10:00`,
			'moved a month on'
		);
		await docWhen(s, scheduleName(s), (d) => findAppointment(d, id) === null, 'gone from its old month');

		s.google.deleteEvent(s.calendar, eventId);
		await docWhen(
			s,
			scheduleName(s, monthOf(later)),
			(d) => findAppointment(d, id)?.status === 'cancelled',
			'cancelled in the book'
		);
		// Moved and cancelled in Google: nothing of it was written back there.
		expect(requestsOf(s, 'PATCH', `/events/${eventId}`)).toBe(0);
	});

	it('the practitioner’s own events are busy blocks without their title, and go when deleted there', async () => {
		const s = await setup();
		const own = s.google.createEvent(s.calendar, {
			summary: 'Dişçi randevum (özel)',
			start: { dateTime: `${s.day}T14:00:00+03:00` },
			end: { dateTime: `${s.day}T15:30:00+03:00` }
		});
		const doc = await docWhen(s, scheduleName(s), (d) => listBusy(d, s.day).length === 1, 'the busy block');
		expect(listBusy(doc, s.day)[0]).toMatchObject({
			practitionerId: s.practitionerId,
			start: `${s.day}T14:00`,
			durationMinutes: 90
		});
		expect(JSON.stringify(doc.getMap('busy').toJSON())).not.toContain('Dişçi');
		s.google.deleteEvent(s.calendar, own.id!);
		await withTimeout(
			whenDoc(doc, (d) => listBusy(d, s.day).length === 0),
			15_000,
			'the busy block gone'
		);
	});
});

describe('SCHEDULE-GOOGLE-5: notifications duplicated or out of order change nothing twice', () => {
	it('two moves in Google delivered in reverse and twice each leave the book at the last one', async () => {
		const s = await setup();
		const id = await book(s, '08:00');
		await pollUntil(() => ours(s, id) !== undefined, 'the event in Google');
		const eventId = ours(s, id)!.id!;
		s.google.holdNotifications();
		s.google.updateEvent(s.calendar, eventId, {
			start: { dateTime: `${s.day}T10:00:00+03:00` },
			end: { dateTime: `${s.day}T10:30:00+03:00` }
		});
		s.google.updateEvent(s.calendar, eventId, {
			start: { dateTime: `${s.day}T16:00:00+03:00` },
			end: { dateTime: `${s.day}T16:30:00+03:00` }
		});
		await s.google.releaseNotifications({ order: 'reversed', duplicate: true });
		const doc = await docWhen(s, scheduleName(s), (d) => findAppointment(d, id)?.start === `${s.day}T16:00`, 'the book at 16:00');
		// Every later listing finds nothing new: the book stays at the last move.
		await s.google.resendLast(s.google.channels.find((c) => c.calendarId === s.calendar)!.id);
		await pollUntil(() => s.google.deliveries.every((d) => d.status !== null), 'every notification answered');
		expect(findAppointment(doc, id)?.start).toBe(`${s.day}T16:00`);
		expect(s.google.deliveries.filter((d) => d.resourceState === 'exists').every((d) => d.status === 200)).toBe(true);
	});

	it('a notification for an unknown channel, with a wrong token or without its headers is refused', async () => {
		const s = await setup();
		const channel = s.google.channels.find((c) => c.calendarId === s.calendar)!;
		const post = (headers: Record<string, string>) =>
			fetch(`${s.server.url}/webhooks/google/calendar`, { method: 'POST', headers }).then((r) => r.status);
		const base = { 'x-goog-channel-id': channel.id, 'x-goog-resource-id': channel.resourceId, 'x-goog-resource-state': 'exists' };
		expect(await post({ ...base, 'x-goog-channel-token': channel.token! })).toBe(200);
		expect(await post({ ...base, 'x-goog-channel-token': 'forged' })).toBe(401);
		expect(await post({ ...base, 'x-goog-channel-id': 'no-such-channel', 'x-goog-channel-token': channel.token! })).toBe(404);
		expect(await post({ 'x-goog-channel-token': channel.token! })).toBe(400);
		expect((await fetch(`${s.server.url}/webhooks/google/calendar`)).status).toBe(405);
	});
});

describe('SCHEDULE-GOOGLE-6: an expired sync token means a full listing', () => {
	it('after a 410 the calendar is listed again and what changed meanwhile arrives', async () => {
		const s = await setup();
		s.google.invalidateSyncTokens(s.calendar);
		const next = nowIn(DEFAULT_TIME_ZONE).add({ days: 8 }).toString().slice(0, 10);
		s.google.createEvent(s.calendar, { summary: 'Kongre', start: { date: s.day }, end: { date: next } });
		s.google.createEvent(s.calendar, {
			summary: 'Toplantı',
			start: { dateTime: `${s.day}T12:00:00+03:00` },
			end: { dateTime: `${s.day}T12:30:00+03:00` }
		});
		const doc = await docWhen(
			s,
			scheduleName(s),
			(d) => listBusy(d, s.day).length === 2,
			'the congress and the meeting as busy blocks'
		);
		expect(listBusy(doc, s.day).map((b) => [b.start, b.durationMinutes])).toEqual([
			[`${s.day}T00:00`, 24 * 60],
			[`${s.day}T12:00`, 30]
		]);
		await s.server.logged((line) => line.includes('sync token expired'));
	});
});

describe('SCHEDULE-GOOGLE-4: an edit on both sides at once — the book wins, Google’s version is kept', () => {
	it('a patch refused with 412 is made again over Google’s version, which is recorded on the appointment', async () => {
		const s = await setup();
		const id = await book(s, '10:00');
		await pollUntil(() => ours(s, id) !== undefined, 'the event in Google');
		const eventId = ours(s, id)!.id!;
		// The server has listed its own insert coming back (else it would take Google's change below in that listing).
		const mine = (r: { path: string }) => r.path.includes(encodeURIComponent(s.calendar));
		const inserted = s.google.requests.findIndex((r) => mine(r) && r.method === 'POST' && r.path.endsWith('/events'));
		await pollUntil(
			() =>
				s.google.requests.some(
					(r, i) => i > inserted && mine(r) && r.method === 'GET' && r.path.endsWith('/events') && r.status === 200
				),
			'the listing after the insert'
		);
		// The practitioner moves it in Google; the server has not heard yet when the desk moves it too.
		s.google.holdNotifications();
		s.google.updateEvent(s.calendar, eventId, {
			start: { dateTime: `${s.day}T15:00:00+03:00` },
			end: { dateTime: `${s.day}T15:30:00+03:00` }
		});
		await edit(s, scheduleName(s), (d) => changeAppointment(scheduleDoc(scheduleName(s), d), id, { start: `${s.day}T12:00` }));
		await pollUntil(() => startOf(ours(s, id)) === instant(`${s.day}T12:00`), 'the book’s time in Google');
		expect(s.google.requests.some((r) => mine(r) && r.method === 'PATCH' && r.status === 412)).toBe(true);
		const doc = await docWhen(s, scheduleName(s), (d) => lostVersions(d, id).length === 1, 'Google’s version recorded');
		expect(lostVersions(doc, id)[0]).toMatchObject({ start: `${s.day}T15:00`, durationMinutes: 30 });
		expect(findAppointment(doc, id)?.start).toBe(`${s.day}T12:00`);
		await s.google.releaseNotifications();
		await pollUntil(() => s.google.deliveries.every((d) => d.status !== null), 'the held notifications answered');
		expect(findAppointment(doc, id)?.start).toBe(`${s.day}T12:00`);
	});
});

describe('SCHEDULE-GOOGLE-7: Google limiting or down never blocks the book', () => {
	it('429 and 503 are retried with backoff; bookings made meanwhile all arrive, each once', async () => {
		const s = await setup();
		s.google.failNext(3, 429);
		const first = await book(s, '09:00');
		await s.server.logged((line) => line.includes('backing off'));
		s.google.failNext(1, 503);
		const second = await book(s, '09:30');
		await pollUntil(() => ours(s, first) !== undefined && ours(s, second) !== undefined, 'both events in Google', 30_000);
		expect(s.google.events(s.calendar).length).toBe(2);
	});

	it('killed mid-sync, the restarted server finishes without a duplicate', async () => {
		const s = await setup({ own: true });
		const release = s.google.pause();
		const ids = [await book(s, '09:00'), await book(s, '10:00'), await book(s, '11:00')];
		await s.google.whenRequests(1, (r) => r.method === 'POST' && r.path.endsWith('/events'));
		await s.server.stop('SIGKILL');
		release();
		const restarted = await ServerProcess.start(s.env, s.port);
		cleanup.push(() => restarted.stop('SIGKILL'));
		const after = { ...s, server: restarted };
		await pollUntil(() => ids.every((id) => ours(after, id) !== undefined), 'every booking in Google', 30_000);
		expect(s.google.events(s.calendar).length).toBe(3);
		for (const [i, id] of ids.entries()) expect(startOf(ours(after, id))).toBe(instant(`${s.day}T${['09', '10', '11'][i]}:00`));
	});
});

describe('SCHEDULE-GOOGLE-5: push channels are renewed before they expire', () => {
	it('a channel near its end is replaced by a new one and stopped; changes keep arriving on the new one', async () => {
		// Channels of 4 s, renewed when under 3 s are left, looked at every 300 ms.
		const s = await setup({ connect: 'cli', env: { CALENDAR_CHANNEL_RENEW_MS: '3000' }, channelTtlSeconds: 4 });
		const first = s.google.channels.find((c) => c.calendarId === s.calendar)!;
		await pollUntil(
			() => s.google.requests.some((r) => r.method === 'POST' && r.path.endsWith('/channels/stop') && r.status === 204),
			'the old channel stopped'
		);
		const live = s.google.channels.filter((c) => c.calendarId === s.calendar);
		expect(live).toHaveLength(1);
		expect(live[0].id).not.toBe(first.id);
		s.google.createEvent(s.calendar, {
			summary: 'Ameliyat',
			start: { dateTime: `${s.day}T08:00:00+03:00` },
			end: { dateTime: `${s.day}T09:00:00+03:00` }
		});
		await docWhen(s, scheduleName(s), (d) => listBusy(d, s.day).length === 1, 'the busy block after the renewal');
	});
});

describe('SCHEDULE-GOOGLE-1: connecting a calendar', () => {
	it('the admin CLI connects a practitioner’s calendar; the server takes it, and its periodic look catches a lost notification', async () => {
		const s = await setup({ connect: 'cli' });
		// Google's notification never arrives (held): the periodic look lists the change anyway.
		s.google.holdNotifications();
		s.google.createEvent(s.calendar, {
			summary: 'Özel',
			start: { dateTime: `${s.day}T17:00:00+03:00` },
			end: { dateTime: `${s.day}T18:00:00+03:00` }
		});
		await docWhen(s, scheduleName(s), (d) => listBusy(d, s.day).length === 1, 'the busy block without a notification');
		// The CLI knew only the calendar's id: the server's listing named it.
		expect(await linkOf(s)).toMatchObject({ calendarId: s.calendar, calendarName: expect.stringMatching(/^Dr\. \d+$/) });
		const refused = await admin(s.env, ['connect-google', '--user', s.practitionerUser.id, '--calendar', s.calendar], '');
		expect(refused.code).not.toBe(0);
	});

	it('SCHEDULE-GOOGLE-1: after the consent and the pick, calendar.status names the calendar as Google does (its summary), to the practitioner and to an admin', async () => {
		const s = await setup({ connect: false });
		await connectThroughApp(s);
		const listed = await trpc(
			s.server.url,
			'calendar.calendars',
			{ practitionerId: s.practitionerId },
			{ cookie: s.practitionerCookie, method: 'GET' }
		);
		const { summary } = (listed.body.result!.data as { id: string; summary: string }[]).find((c) => c.id === s.calendar)!;
		expect(summary).toMatch(/^Dr\. \d+$/);
		expect(await linkOf(s)).toEqual({
			practitionerId: s.practitionerId,
			calendarId: s.calendar,
			calendarName: summary,
			state: 'ok',
			lastError: null,
			pending: false
		});
		expect(await linkOf(s, s.adminCookie)).toMatchObject({ calendarId: s.calendar, calendarName: summary });
	});

	it('a practitioner consents, picks a calendar and it syncs; reception and other practitioners are refused', async () => {
		const s = await setup({ connect: false, own: true });
		expect(
			(await trpc(s.server.url, 'calendar.status', undefined, { cookie: s.adminCookie, method: 'GET' })).body.result!.data
		).toEqual({
			configured: true,
			own: null,
			links: []
		});
		const cookie = s.practitionerCookie;
		const started = await trpc(s.server.url, 'calendar.connectUrl', { practitionerId: s.practitionerId }, { cookie });
		expect(started.status).toBe(200);
		const consent = new URL((started.body.result!.data as { url: string }).url);
		expect(consent.searchParams.get('access_type')).toBe('offline');
		// Google's consent screen sends the browser back to us with a code.
		const back = await fetch(consent, { redirect: 'manual' });
		const callback = new URL(back.headers.get('location')!);
		expect(callback.pathname).toBe('/calendar/oauth/callback');
		// Another person's browser cannot finish it.
		const stranger = await fetch(`${s.server.url}${callback.pathname}${callback.search}`, {
			redirect: 'manual',
			headers: { cookie: s.adminCookie }
		});
		expect(stranger.headers.get('location')).toContain('error=state');

		const again = await trpc(s.server.url, 'calendar.connectUrl', { practitionerId: s.practitionerId }, { cookie });
		const retry = new URL(
			(await fetch((again.body.result!.data as { url: string }).url, { redirect: 'manual' })).headers.get('location')!
		);
		const landed = await fetch(`${s.server.url}${retry.pathname}${retry.search}`, { redirect: 'manual', headers: { cookie } });
		expect(landed.status).toBe(303);
		expect(landed.headers.get('location')).toBe(`/settings/calendar?practitioner=${s.practitionerId}&pick=1`);
		const calendars = await trpc(
			s.server.url,
			'calendar.calendars',
			{ practitionerId: s.practitionerId },
			{ cookie, method: 'GET' }
		);
		expect(calendars.body.result!.data).toEqual([{ id: s.calendar, summary: expect.stringMatching(/^Dr\. /), primary: true }]);
		// SCHEDULE-GOOGLE-12: a calendar the account does not list is refused, and so is any pick Google cannot
		// list for; nothing is connected, and the consent still holds.
		const notListed = await trpc(
			s.server.url,
			'calendar.pick',
			{ practitionerId: s.practitionerId, calendarId: 'someone-else@group.calendar.google.com' },
			{ cookie }
		);
		expect(notListed.status).toBe(400);
		expect(notListed.body.error?.message).toContain('not a calendar this Google account can write to');
		s.google.failNext(1, 403, 'forbidden');
		const unlisted = await trpc(
			s.server.url,
			'calendar.pick',
			{ practitionerId: s.practitionerId, calendarId: s.calendar },
			{ cookie }
		);
		expect(unlisted.status).toBe(412);
		// Still the consent waiting for its pick, no calendar connected.
		expect((await trpc(s.server.url, 'calendar.status', undefined, { cookie, method: 'GET' })).body.result!.data).toMatchObject({
			links: [{ practitionerId: s.practitionerId, calendarId: '', pending: true }]
		});
		expect(s.google.channels).toHaveLength(0);
		expect(
			(await trpc(s.server.url, 'calendar.pick', { practitionerId: s.practitionerId, calendarId: s.calendar }, { cookie })).status
		).toBe(200);
		await pollUntil(() => s.google.channels.length === 1, 'the push channel');
		const id = await book(s, '10:00');
		await pollUntil(() => ours(s, id) !== undefined, 'the booking in Google');
		const status = await trpc(s.server.url, 'calendar.status', undefined, { cookie, method: 'GET' });
		expect(status.body.result!.data).toMatchObject({
			configured: true,
			own: s.practitionerId,
			links: [{ practitionerId: s.practitionerId, calendarId: s.calendar, state: 'ok' }]
		});

		// Disconnected, the practitioner's own events no longer show as busy.
		s.google.createEvent(s.calendar, {
			summary: 'Kişisel',
			start: { dateTime: `${s.day}T18:00:00+03:00` },
			end: { dateTime: `${s.day}T19:00:00+03:00` }
		});
		const monthDoc = await docWhen(s, scheduleName(s), (d) => listBusy(d, s.day).length === 1, 'the busy block');
		expect((await trpc(s.server.url, 'calendar.disconnect', { practitionerId: s.practitionerId }, { cookie })).status).toBe(200);
		await withTimeout(
			whenDoc(monthDoc, (d) => listBusy(d, s.day).length === 0),
			15_000,
			'no busy block after disconnecting'
		);
		expect((await trpc(s.server.url, 'calendar.disconnect', { practitionerId: s.practitionerId }, { cookie })).status).toBe(404);

		const reception = await createUser(s.env, s.clinic, 'reception');
		const receptionCookie = await login(s.server.url, reception.email, reception.password);
		expect(
			(await trpc(s.server.url, 'calendar.connectUrl', { practitionerId: s.practitionerId }, { cookie: receptionCookie })).status
		).toBe(403);
		const other = await edit(s, `${s.clinic}/directory`, (d) => addPractitioner(d, { name: 'Dr. Can Demir' }).id);
		expect((await trpc(s.server.url, 'calendar.connectUrl', { practitionerId: other }, { cookie })).status).toBe(403);
		expect(
			(await trpc(s.server.url, 'calendar.pick', { practitionerId: s.practitionerId, calendarId: '' }, { cookie })).status
		).toBe(400);
	});
});

describe('SCHEDULE-GOOGLE-14: reconnected while a listing of the old calendar is under way', () => {
	it('the new calendar is listed from scratch, not with the old one’s sync token, and its own events reach the book', async () => {
		const s = await setup({ connect: 'cli' });
		const listingsOf = (calendar: string) => (r: { method: string; path: string }) =>
			r.method === 'GET' && r.path.endsWith(`/calendars/${encodeURIComponent(calendar)}/events`);
		// A change in the old calendar: its incremental listing is asked for, and held by Google.
		const release = s.google.pause();
		const before = s.google.requests.filter(listingsOf(s.calendar)).length;
		s.google.createEvent(s.calendar, {
			summary: 'Eski takvim',
			start: { dateTime: `${s.day}T09:00:00+03:00` },
			end: { dateTime: `${s.day}T09:30:00+03:00` }
		});
		await withTimeout(s.google.whenRequests(before + 1, listingsOf(s.calendar)), 15_000, 'the old calendar’s listing');
		// Meanwhile the practitioner is connected to another calendar (another account) by the admin CLI.
		const other = `other-${s.calendar}`;
		const otherToken = `${s.refreshToken}-other`;
		s.google.addAccount({ refreshToken: otherToken, calendars: [{ id: other, summary: 'Klinik', primary: true }] });
		const connected = await admin(s.env, ['connect-google', '--user', s.practitionerUser.id, '--calendar', other], otherToken);
		expect(connected.code, connected.stderr).toBe(0);
		release();
		// The old listing's answer changes nothing in the new link: the new calendar's first listing is a full one.
		await withTimeout(s.google.whenRequests(1, listingsOf(other)), 15_000, 'the new calendar’s listing');
		expect(s.google.requests.filter(listingsOf(other))[0].query.syncToken).toBeUndefined();
		// And its events arrive through its own channel.
		await pollUntil(() => s.google.channels.some((c) => c.calendarId === other), 'the new calendar’s channel');
		s.google.createEvent(other, {
			summary: 'Yeni takvim',
			start: { dateTime: `${s.day}T15:00:00+03:00` },
			end: { dateTime: `${s.day}T16:00:00+03:00` }
		});
		await docWhen(
			s,
			scheduleName(s),
			(d) => ownBusy(s, d).some((b) => b.start === `${s.day}T15:00`),
			'the new calendar’s busy block'
		);
	});
});

describe('SCHEDULE-GOOGLE-9: a notification that declares a body is refused unread', () => {
	it('SCHEDULE-GOOGLE-9: a body of declared length, chunked or behind Expect: 100-continue gets 413 and a closed connection; no sync is triggered', async () => {
		const s = await setup();
		const valid = channelHeaders(s);
		// A change in Google whose notification is held back: only a listing brings it to the book.
		s.google.holdNotifications();
		cleanup.push(() => s.google.releaseNotifications());
		s.google.createEvent(s.calendar, {
			summary: 'Seminer',
			start: { dateTime: `${s.day}T07:00:00+03:00` },
			end: { dateTime: `${s.day}T07:30:00+03:00` }
		});
		const listings = requestsOf(s, 'GET');
		const marker = `body-marker-${process.pid}`;
		const data = JSON.stringify({ marker, padding: 'x'.repeat(2048) });

		const sized = await notify(s, valid, { data, framing: 'length' });
		expect(sized).toMatchObject({ status: 413, closed: true });
		expect(sized.headers.connection).toBe('close');
		const chunked = await notify(s, valid, { data, framing: 'chunked' });
		expect(chunked).toMatchObject({ status: 413, closed: true });
		expect(chunked.headers.connection).toBe('close');
		const announced = await notify(s, valid, { data, framing: 'continue' });
		expect(announced).toMatchObject({ status: 413, closed: true, continued: false });
		expect(requestsOf(s, 'GET')).toBe(listings);

		// The same notification without a body is taken: one listing, and the change is in the book.
		expect((await notify(s, valid)).status).toBe(200);
		await docWhen(s, scheduleName(s), (d) => ownBusy(s, d).length === 1, 'the busy block after the bodiless notification');
		expect(requestsOf(s, 'GET')).toBe(listings + 1);

		const refused = (line: string) => line.includes('calendar notification with a body refused');
		await withTimeout(s.server.logged(refused), 5000, 'the refusals logged');
		await pollUntil(() => s.server.logs.filter(refused).length === 3, 'three refusals logged');
		const logs = s.server.logs.join('\n');
		expect(logs).not.toContain(marker);
		for (const value of [valid['x-goog-channel-token'], valid['x-goog-channel-id'], valid['x-goog-resource-id']])
			expect(s.server.logs.filter(refused).join('\n')).not.toContain(value);
		expect(await limitHits(s.server, 'calendar_notification_body')).toBe(3);
	});
});

describe('SCHEDULE-GOOGLE-10: notifications are rate-limited per client address', () => {
	it('SCHEDULE-GOOGLE-10: past CALENDAR_NOTIFICATIONS_PER_MINUTE an address gets 429 with Retry-After before any lookup; under it, and from another address, notifications work', async () => {
		// One trusted proxy: X-Forwarded-For names the client, so a second address can be shown unaffected.
		const s = await setup({ own: true, env: { CALENDAR_NOTIFICATIONS_PER_MINUTE: '4', TRUST_PROXY: '1' } });
		const valid = channelHeaders(s);
		// The channel's `sync` message (from the fake, on this machine) counted too; nothing else is delivered now.
		await s.google.whenDelivered(1);
		s.google.holdNotifications();
		const used = s.google.deliveries.length;
		s.google.createEvent(s.calendar, {
			summary: 'Kurs',
			start: { dateTime: `${s.day}T07:00:00+03:00` },
			end: { dateTime: `${s.day}T07:30:00+03:00` }
		});

		// Under the limit: answered, and they bring Google's change.
		for (let i = used; i < 4; i++) expect((await notify(s, valid)).status).toBe(200);
		await docWhen(s, scheduleName(s), (d) => ownBusy(s, d).length === 1, 'the busy block');

		const limited = await notify(s, valid);
		expect(limited.status).toBe(429);
		const wait = Number(limited.headers['retry-after']);
		expect(wait).toBeGreaterThan(0);
		expect(wait).toBeLessThanOrEqual(60);
		// Refused before the channel is looked up: an unknown channel gets 429 too, not 404.
		expect((await notify(s, { ...valid, 'x-goog-channel-id': 'no-such-channel' })).status).toBe(429);
		// Another client address is not held back.
		expect((await notify(s, { ...valid, 'x-forwarded-for': '203.0.113.7' })).status).toBe(200);

		const reached = (line: string) => line.includes('calendar notification rate limit reached');
		await withTimeout(s.server.logged(reached), 5000, 'the limit logged');
		// Logged once per address and minute, without a header's value; counted every time.
		const lines = s.server.logs.filter(reached);
		expect(lines).toHaveLength(1);
		for (const value of [valid['x-goog-channel-token'], valid['x-goog-channel-id'], valid['x-goog-resource-id']])
			expect(lines[0]).not.toContain(value);
		expect(await limitHits(s.server, 'calendar_notifications_per_minute')).toBe(2);
	});
});

describe('SCHEDULE-GOOGLE-11: the consent’s answer that declares a body is refused unread', () => {
	it('SCHEDULE-GOOGLE-11: a callback with a body of declared length, chunked or behind Expect: 100-continue gets 413 and a closed connection; its state is not used, no code exchanged, nothing held; the same answer without a body connects', async () => {
		const s = await setup({ connect: false });
		const cookie = s.practitionerCookie;
		s.google.consentAs(s.refreshToken);
		const started = await trpc(s.server.url, 'calendar.connectUrl', { practitionerId: s.practitionerId }, { cookie });
		expect(started.status).toBe(200);
		const consent = await fetch((started.body.result!.data as { url: string }).url, { redirect: 'manual' });
		const callback = new URL(consent.headers.get('location')!);
		expect(callback.pathname).toBe('/calendar/oauth/callback');
		const answer = `${callback.pathname}${callback.search}`;
		const exchanges = () => s.google.requests.filter((r) => r.path === '/token' && r.method === 'POST').length;
		const before = exchanges();
		const marker = `body-marker-${process.pid}`;
		const data = JSON.stringify({ marker, padding: 'x'.repeat(2048) });

		const sized = await rawRequest(s, 'GET', answer, { cookie }, { data, framing: 'length' });
		expect(sized).toMatchObject({ status: 413, closed: true });
		expect(sized.headers.connection).toBe('close');
		expect(sized.headers.location).toBeUndefined();
		const chunked = await rawRequest(s, 'GET', answer, { cookie }, { data, framing: 'chunked' });
		expect(chunked).toMatchObject({ status: 413, closed: true });
		expect(chunked.headers.connection).toBe('close');
		// Announced with Expect: 100-continue: refused without asking for the body.
		const announced = await rawRequest(s, 'GET', answer, { cookie }, { data, framing: 'continue' });
		expect(announced).toMatchObject({ status: 413, closed: true, continued: false });
		// Another method with a body: refused for the body first.
		expect((await rawRequest(s, 'POST', answer, { cookie }, { data, framing: 'length' })).status).toBe(413);
		// Nothing looked up or stored: no code exchanged, no consent held for the practitioner.
		expect(exchanges()).toBe(before);
		expect(await linkOf(s)).toBeUndefined();

		// The state was not used up: the same answer without a body is taken, and the calendar can be picked.
		const landed = await fetch(`${s.server.url}${answer}`, { redirect: 'manual', headers: { cookie } });
		expect(landed.status).toBe(303);
		expect(landed.headers.get('location')).toBe(`/settings/calendar?practitioner=${s.practitionerId}&pick=1`);
		expect(exchanges()).toBe(before + 1);
		expect(await linkOf(s)).toMatchObject({ pending: true });

		const refused = (line: string) => line.includes('calendar consent answer with a body refused');
		await withTimeout(s.server.logged(refused), 5000, 'the refusals logged');
		await pollUntil(() => s.server.logs.filter(refused).length === 4, 'four refusals logged');
		// Path and address only: neither the body nor the consent's code or state.
		const logs = s.server.logs.join('\n');
		expect(logs).not.toContain(marker);
		for (const value of [callback.searchParams.get('code')!, callback.searchParams.get('state')!])
			expect(s.server.logs.filter(refused).join('\n')).not.toContain(value);
		expect(await limitHits(s.server, 'calendar_callback_body')).toBe(4);
	});
});
