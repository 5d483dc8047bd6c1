import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { now as nowIn } from '@internationalized/date';
import { OAuth2Client } from 'google-auth-library';
import type * as Y from 'yjs';
import { DEFAULT_TIME_ZONE } from '../../src/lib/domain/clinicSettings.ts';
import { addPractitioner } from '../../src/lib/domain/directory.ts';
import { createPatient } from '../../src/lib/domain/patients.ts';
import { addAppointment, listAppointments, monthOf, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { addService, listServices } from '../../src/lib/domain/services.ts';
import { listContacts } from '../../src/lib/domain/contacts.ts';
import { untilServerHas } from '../common/patients.ts';
import { connectProvider, login, pollUntil, trpc, whenSynced } from '../../tests/helpers/client.ts';
import { FakeGoogle } from '../../tests/helpers/fakeGoogle.ts';
import { admin, createClinic, createUser, freePort, ServerProcess, testEnv } from '../../tests/helpers/server.ts';

/**
 * Google Calendar sync against the local fake of the Calendar API (issue #11), beside Google's own client talking
 * to the same fake with nothing of ours in between, in the same run:
 * - push: `APPOINTMENTS` bookings made at once on a device, until every one is an event in the practitioner's
 *   calendar (per second), beside the bare client inserting as many events one after another;
 * - full resync: `EVENTS` events made in Google (the practitioner's own, over the next two months), the sync token
 *   expired, until the server has listed them all and written them as busy blocks, beside the bare client listing
 *   the same calendar page by page.
 */
const APPOINTMENTS = Number(process.env.BENCH_APPOINTMENTS ?? 1_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000);
const CALENDAR = 'bench.doctor@example.com';
const REFERENCE_CALENDAR = 'bench.reference@example.com';

export async function runGoogleSync(): Promise<void> {
	const google = await FakeGoogle.start();
	google.addAccount({ refreshToken: 'bench-refresh', calendars: [{ id: CALENDAR, summary: 'Bench', primary: true }] });
	google.addAccount({
		refreshToken: 'reference-refresh',
		calendars: [{ id: REFERENCE_CALENDAR, summary: 'Reference', primary: true }]
	});
	const port = await freePort();
	const env = testEnv({
		LOG_LEVEL: 'info',
		ORIGIN: `http://127.0.0.1:${port}`,
		GOOGLE_CLIENT_ID: 'bench.apps.googleusercontent.com',
		GOOGLE_CLIENT_SECRET: 'bench-secret',
		GOOGLE_API_ROOT: `${google.url}/`,
		GOOGLE_OAUTH_TOKEN_URL: `${google.url}/token`,
		GOOGLE_OAUTH_AUTH_URL: `${google.url}/o/oauth2/v2/auth`,
		CALENDAR_INTERVAL_MS: '1000'
	});
	const clinic = await createClinic(env, 'Bench Klinik');
	const adminUser = await createUser(env, clinic, 'admin');
	const doctor = await createUser(env, clinic, 'practitioner');
	const server = await ServerProcess.start(env, port);
	try {
		const cookie = await login(server.url, adminUser.email, adminUser.password);
		/** One device edit, closed once another reader sees it on the server. */
		const edit = async <T>(docName: string, change: (doc: Y.Doc) => T, done: (doc: Y.Doc) => boolean): Promise<T> => {
			const provider = connectProvider(server.wsUrl, docName, { cookie, origin: server.url });
			await whenSynced(provider);
			const result = change(provider.doc);
			await untilServerHas(server, cookie, docName, done);
			provider.destroy();
			return result;
		};
		const { practitionerId, serviceId } = await edit(
			`${clinic}/directory`,
			(d) => ({
				practitionerId: addPractitioner(d, { name: 'Dr. Bench' }).id,
				serviceId: addService(d, { name: 'Kontrol', durationMinutes: 20 }).id
			}),
			(d) => listServices(d).length === 1
		);
		const patientId = await edit(
			`${clinic}/contacts`,
			(d) => createPatient(d, { name: 'Deniz Koç', phones: ['0532 765 43 21'] }),
			(d) => listContacts(d).length === 1
		);
		await trpc(server.url, 'staff.update', { userId: doctor.id, practitionerId }, { cookie });
		const linked = await admin(env, ['connect-google', '--user', doctor.id, '--calendar', CALENDAR], 'bench-refresh');
		if (linked.code !== 0) throw new Error(`connect-google failed: ${linked.stderr}`);
		await server.logged((line) => line.includes('full calendar listing done'));

		// Push: the bookings of 50 days, 20 a day, in the month docs they fall in.
		const first = nowIn(DEFAULT_TIME_ZONE).add({ days: 1 });
		const starts = Array.from({ length: APPOINTMENTS }, (_, i) => {
			const day = first
				.add({ days: Math.floor(i / 20) })
				.toString()
				.slice(0, 10);
			const minute = 8 * 60 + (i % 20) * 30;
			return `${day}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
		});
		const byMonth = new Map<string, string[]>();
		for (const start of starts) byMonth.set(monthOf(start), [...(byMonth.get(monthOf(start)) ?? []), start]);
		const pushStart = performance.now();
		for (const [month, list] of byMonth) {
			const name = `${clinic}/schedule/${month}`;
			await edit(
				name,
				(d) => {
					const schedule = scheduleDoc(name, d);
					d.transact(() => {
						for (const start of list)
							addAppointment(schedule, { practitionerId, patientId, serviceId, start, durationMinutes: 20 });
					});
				},
				(d) => listAppointments(d).length === list.length
			);
		}
		await pollUntil(() => google.events(CALENDAR).length >= APPOINTMENTS, 'every booking in Google', 600_000);
		const pushSeconds = (performance.now() - pushStart) / 1000;

		const reference = bareClient(google, 'reference-refresh');
		const bareStart = performance.now();
		for (const start of starts) {
			await reference.events.insert({ calendarId: REFERENCE_CALENDAR, requestBody: eventAt(start) }, { retry: false });
		}
		const bareSeconds = (performance.now() - bareStart) / 1000;

		// Full resync: the practitioner's own events, then the sync token expires.
		google.holdNotifications();
		for (let i = 0; i < EVENTS; i++) {
			const day = first
				.add({ days: i % 60 })
				.toString()
				.slice(0, 10);
			const minute = 7 * 60 + Math.floor(i / 60) * 10;
			const at = `${day}T${String(Math.floor(minute / 60) % 24).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
			google.createEvent(CALENDAR, { summary: `Özel ${i}`, ...eventAt(at) });
		}
		google.invalidateSyncTokens(CALENDAR);
		const listings = server.logs.filter((l) => l.includes('full calendar listing done')).length;
		// One notification says "changed" (Google sends one per change; they are held here so the thousands of them do
		// not time the fake's delivery).
		const resyncStart = performance.now();
		await google.resendLast(google.channels.find((c) => c.calendarId === CALENDAR)!.id);
		await pollUntil(
			() => server.logs.filter((l) => l.includes('full calendar listing done')).length > listings,
			'the full listing',
			600_000
		);
		const resyncSeconds = (performance.now() - resyncStart) / 1000;
		const done = JSON.parse(server.logs.filter((l) => l.includes('full calendar listing done')).at(-1)!) as {
			events: number;
			ms: number;
		};

		// The same calendar, listed by the practitioner's own account.
		const lister = bareClient(google, 'bench-refresh');
		const listStart = performance.now();
		let listed = 0;
		let pageToken: string | undefined;
		do {
			const page: calendar_v3.Schema$Events = (
				await lister.events.list(
					{ calendarId: CALENDAR, singleEvents: true, maxResults: 250, ...(pageToken ? { pageToken } : {}) },
					{ retry: false }
				)
			).data;
			listed += page.items?.length ?? 0;
			pageToken = page.nextPageToken ?? undefined;
		} while (pageToken);
		const listSeconds = (performance.now() - listStart) / 1000;

		console.table([
			{
				what: `push ${APPOINTMENTS} bookings`,
				ours: `${(APPOINTMENTS / pushSeconds).toFixed(0)} /s (${pushSeconds.toFixed(1)} s)`,
				reference: `${(APPOINTMENTS / bareSeconds).toFixed(0)} /s bare client inserts (${bareSeconds.toFixed(1)} s)`,
				'ours/reference': `${((bareSeconds / pushSeconds) * 100).toFixed(0)}%`
			},
			{
				what: `full resync of ${done.events} events (${EVENTS} busy, the rest ours)`,
				ours: `${resyncSeconds.toFixed(1)} s (${(done.ms / 1000).toFixed(1)} s of it listing and writing)`,
				reference: `${listSeconds.toFixed(1)} s bare client listing ${listed} events`,
				'ours/reference': `${((listSeconds / resyncSeconds) * 100).toFixed(0)}%`
			}
		]);
	} finally {
		await server.stop('SIGKILL');
		await google.close();
	}
}

function eventAt(start: string): calendar_v3.Schema$Event {
	const end = new Date(new Date(`${start}:00+03:00`).getTime() + 20 * 60_000).toISOString();
	return { start: { dateTime: `${start}:00+03:00` }, end: { dateTime: end } };
}

function bareClient(google: FakeGoogle, refreshToken: string): calendar_v3.Calendar {
	const auth = new OAuth2Client({
		clientId: 'bench.apps.googleusercontent.com',
		clientSecret: 'bench-secret',
		endpoints: { oauth2TokenUrl: `${google.url}/token` }
	});
	auth.setCredentials({ refresh_token: refreshToken });
	return calendar({ version: 'v3', auth, rootUrl: `${google.url}/` });
}
