import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { OAuth2Client } from 'google-auth-library';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGoogle } from '../helpers/fakeGoogle.ts';

// The fake is driven only through Google's own client, so what passes here is what the client really sends.

const REFRESH = '1//0g-practitioner-refresh-token';
const ADA = 'ada@clinic.example';
const SHARED = 'c_rooms@group.calendar.google.com';

let google: FakeGoogle;
const cleanup: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
	google = await FakeGoogle.start();
	google.addAccount({
		refreshToken: REFRESH,
		calendars: [
			{ id: ADA, summary: 'Ada', primary: true },
			{ id: SHARED, summary: 'Rooms' }
		]
	});
	google.addAccount({ refreshToken: 'other-refresh', calendars: [{ id: 'bob@clinic.example', summary: 'Bob' }] });
	cleanup.push(() => google.close());
});
afterEach(async () => {
	for (const undo of cleanup.splice(0).reverse()) await undo();
});

function oauth(options: { forceRefreshOnFailure?: boolean } = {}): OAuth2Client {
	return new OAuth2Client({
		clientId: 'frontdesk.apps.googleusercontent.com',
		clientSecret: 'client-secret',
		endpoints: {
			oauth2TokenUrl: `${google.url}/token`,
			oauth2AuthBaseUrl: `${google.url}/o/oauth2/v2/auth`,
			oauth2RevokeUrl: `${google.url}/revoke`
		},
		...options
	});
}

function api(refreshToken = REFRESH, options: { forceRefreshOnFailure?: boolean } = {}): calendar_v3.Calendar {
	const client = oauth(options);
	client.setCredentials({ refresh_token: refreshToken });
	// googleapis-common 8.0.3 pins google-auth-library 10.5.0: our 10.9.1 client works with it at runtime, but TypeScript
	// sees two declarations of a class with private fields and refuses it without this cast.
	return calendar({ version: 'v3', auth: client as unknown as calendar_v3.Options['auth'], rootUrl: `${google.url}/` });
}

/** The GaxiosError a call rejects with, read as the sync code reads it. */
async function failure(call: Promise<unknown>): Promise<{ status?: number; reason?: string }> {
	try {
		await call;
	} catch (error) {
		const e = error as { status?: number; response?: { data?: { error?: { errors?: { reason?: string }[] } | string } } };
		const data = e.response?.data?.error;
		return { status: e.status, reason: typeof data === 'string' ? data : data?.errors?.[0]?.reason };
	}
	throw new Error('expected the call to fail');
}

const at = (hour: number) => ({ dateTime: `2025-03-10T${String(hour).padStart(2, '0')}:00:00+03:00` });
const inserts = () => google.requests.filter((r) => r.method === 'POST' && /\/events$/.test(r.path));

describe('OAuth', () => {
	it('refreshes an access token with the refresh token and refuses a revoked one', async () => {
		const calendars = await api().calendarList.list();
		expect(calendars.data.items?.map((c) => [c.id, c.primary ?? false, c.accessRole])).toEqual([
			[ADA, true, 'owner'],
			[SHARED, false, 'owner']
		]);
		const token = google.requests.find((r) => r.path === '/token');
		expect(token?.body).toMatchObject({
			grant_type: 'refresh_token',
			refresh_token: REFRESH,
			client_id: 'frontdesk.apps.googleusercontent.com'
		});

		google.revokeRefreshToken(REFRESH);
		expect(await failure(api().calendarList.list())).toEqual({ status: 400, reason: 'invalid_grant' });
		expect(await failure(api('never-issued').calendarList.list())).toEqual({ status: 400, reason: 'invalid_grant' });
	});

	it('consents at once and exchanges the code, once, for the first account’s refresh token', async () => {
		const client = oauth();
		const consent = client.generateAuthUrl({
			access_type: 'offline',
			prompt: 'consent',
			scope: ['https://www.googleapis.com/auth/calendar.events'],
			state: 'state-123',
			redirect_uri: 'http://127.0.0.1:1/oauth/google'
		});
		const answer = await fetch(consent, { redirect: 'manual' });
		expect(answer.status).toBe(302);
		const back = new URL(answer.headers.get('location') ?? '');
		expect(back.origin + back.pathname).toBe('http://127.0.0.1:1/oauth/google');
		expect(back.searchParams.get('state')).toBe('state-123');
		expect(google.consents[0]).toMatchObject({ access_type: 'offline', state: 'state-123', response_type: 'code' });

		const code = back.searchParams.get('code') ?? '';
		const { tokens } = await client.getToken({ code, redirect_uri: 'http://127.0.0.1:1/oauth/google' });
		expect(tokens.refresh_token).toBe(REFRESH);
		expect(tokens.access_token).toMatch(/^ya29\./);
		expect(await failure(client.getToken({ code, redirect_uri: 'http://127.0.0.1:1/oauth/google' }))).toEqual({
			status: 400,
			reason: 'invalid_grant'
		});
	});

	it('answers 401 to an expired access token: the client refreshes only with forceRefreshOnFailure', async () => {
		const plain = api();
		const forced = api(REFRESH, { forceRefreshOnFailure: true });
		await plain.calendarList.list();
		await forced.calendarList.list();
		google.expireAccessTokens();
		expect(await failure(plain.calendarList.list())).toEqual({ status: 401, reason: 'authError' });
		expect((await forced.calendarList.list()).status).toBe(200);
	});

	it('keeps an account to its own calendars', async () => {
		expect(await failure(api().events.list({ calendarId: 'bob@clinic.example' }))).toEqual({ status: 403, reason: 'forbidden' });
		expect(await failure(api().events.list({ calendarId: 'nobody@clinic.example' }))).toEqual({
			status: 404,
			reason: 'notFound'
		});
	});
});

describe('events', () => {
	it('inserts with our own id, and answers 409 to the same id again', async () => {
		const cal = api();
		const created = await cal.events.insert({
			calendarId: 'primary',
			requestBody: { id: 'fd0appt0001', summary: 'Ada — check-up', start: at(9), end: at(10) }
		});
		expect(created.data).toMatchObject({ kind: 'calendar#event', id: 'fd0appt0001', status: 'confirmed', sequence: 0 });
		expect(created.data.etag).toMatch(/^"\d+"$/);
		const again = cal.events.insert({ calendarId: ADA, requestBody: { id: 'fd0appt0001', start: at(9), end: at(10) } });
		expect(await failure(again)).toEqual({ status: 409, reason: 'duplicate' });
		expect(inserts()).toHaveLength(2);

		const badId = cal.events.insert({ calendarId: ADA, requestBody: { id: 'Not-Base32', start: at(9), end: at(10) } });
		expect(await failure(badId)).toEqual({ status: 400, reason: 'invalid' });
		const backwards = cal.events.insert({ calendarId: ADA, requestBody: { start: at(10), end: at(9) } });
		expect(await failure(backwards)).toEqual({ status: 400, reason: 'timeRangeEmpty' });
	});

	it('patches key by key, and answers 412 to a stale If-Match', async () => {
		const cal = api();
		const { data: first } = await cal.events.insert({
			calendarId: ADA,
			requestBody: { start: at(9), end: at(10), extendedProperties: { private: { appointment: 'a1', clinic: 'c1' } } }
		});
		const { data: moved } = await cal.events.patch(
			{
				calendarId: ADA,
				eventId: first.id ?? '',
				requestBody: { end: at(11), extendedProperties: { private: { appointment: 'a2' } } }
			},
			{ headers: { 'If-Match': first.etag ?? '' } }
		);
		expect(moved.etag).not.toBe(first.etag);
		expect(moved.extendedProperties?.private).toEqual({ appointment: 'a2', clinic: 'c1' });
		expect([moved.start?.dateTime, moved.end?.dateTime, moved.sequence]).toEqual([at(9).dateTime, at(11).dateTime, 1]);

		const stale = cal.events.patch(
			{ calendarId: ADA, eventId: first.id ?? '', requestBody: { summary: 'late' } },
			{ headers: { 'If-Match': first.etag ?? '' } }
		);
		expect(await failure(stale)).toEqual({ status: 412, reason: 'conditionNotMet' });
		expect(google.events(ADA)[0].summary).toBeUndefined();
	});

	it('keeps a deleted event as cancelled: get shows it, a second delete is 410, incremental sync reports it', async () => {
		const cal = api();
		const { data: event } = await cal.events.insert({ calendarId: ADA, requestBody: { start: at(9), end: at(10) } });
		const { data: full } = await cal.events.list({ calendarId: ADA });
		expect(full.items?.map((e) => e.id)).toEqual([event.id]);

		expect((await cal.events.delete({ calendarId: ADA, eventId: event.id ?? '' })).status).toBe(204);
		expect((await cal.events.get({ calendarId: ADA, eventId: event.id ?? '' })).data.status).toBe('cancelled');
		expect(await failure(cal.events.delete({ calendarId: ADA, eventId: event.id ?? '' }))).toEqual({
			status: 410,
			reason: 'deleted'
		});

		const { data: changes } = await cal.events.list({ calendarId: ADA, syncToken: full.nextSyncToken ?? '' });
		expect(changes.items).toEqual([{ kind: 'calendar#event', etag: expect.any(String), id: event.id, status: 'cancelled' }]);
		const { data: none } = await cal.events.list({ calendarId: ADA, syncToken: changes.nextSyncToken ?? '' });
		expect(none.items).toEqual([]);
		expect((await cal.events.list({ calendarId: ADA })).data.items).toEqual([]);
	});

	it('pages a full list with maxResults and gives the sync token on the last page only', async () => {
		for (let hour = 8; hour < 13; hour++)
			google.createEvent(ADA, { summary: `slot ${hour}`, start: at(hour), end: at(hour + 1) });
		const cal = api();
		const seen: string[] = [];
		const tokens: [boolean, boolean][] = [];
		let pageToken: string | undefined;
		do {
			const { data } = await cal.events.list({ calendarId: ADA, maxResults: 2, ...(pageToken ? { pageToken } : {}) });
			seen.push(...(data.items ?? []).map((e) => e.summary ?? ''));
			tokens.push([Boolean(data.nextPageToken), Boolean(data.nextSyncToken)]);
			pageToken = data.nextPageToken ?? undefined;
		} while (pageToken);
		expect(seen).toEqual(['slot 8', 'slot 9', 'slot 10', 'slot 11', 'slot 12']);
		expect(tokens).toEqual([
			[true, false],
			[true, false],
			[false, true]
		]);
	});

	it('answers 410 fullSyncRequired to a sync token issued before invalidateSyncTokens, and 400 to one with timeMin', async () => {
		const cal = api();
		const { data } = await cal.events.list({ calendarId: ADA });
		const syncToken = data.nextSyncToken ?? '';
		const withTime = cal.events.list({ calendarId: ADA, syncToken, timeMin: '2025-01-01T00:00:00Z' });
		expect(await failure(withTime)).toEqual({ status: 400, reason: 'invalid' });
		google.invalidateSyncTokens(ADA);
		expect(await failure(cal.events.list({ calendarId: ADA, syncToken }))).toEqual({ status: 410, reason: 'fullSyncRequired' });
	});

	it('rejects a body over 1 MiB with 413', async () => {
		const big = api().events.insert({
			calendarId: ADA,
			requestBody: { description: 'x'.repeat(1_100_000), start: at(9), end: at(10) }
		});
		expect((await failure(big)).status).toBe(413);
		expect(google.events(ADA)).toEqual([]);
	});
});

describe('push notifications', () => {
	async function receiver(): Promise<{ url: string; headers: http.IncomingHttpHeaders[] }> {
		const headers: http.IncomingHttpHeaders[] = [];
		const server = http.createServer((req, res) => {
			headers.push(req.headers);
			req.resume();
			res.writeHead(200).end();
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		cleanup.push(() => new Promise((resolve) => server.close(resolve)));
		return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/google`, headers };
	}

	it('sends sync, then exists after each change, and nothing after channels.stop', async () => {
		const hook = await receiver();
		const cal = api();
		const { data: channel } = await cal.events.watch({
			calendarId: ADA,
			requestBody: { id: 'channel-1', type: 'web_hook', address: hook.url, token: 'clinic=c1', params: { ttl: '3600' } }
		});
		expect(channel).toMatchObject({ kind: 'api#channel', id: 'channel-1', token: 'clinic=c1' });
		expect(Number(channel.expiration)).toBeGreaterThan(Date.now() + 3_500_000);
		await google.whenDelivered(1);
		expect(hook.headers[0]).toMatchObject({
			'x-goog-channel-id': 'channel-1',
			'x-goog-channel-token': 'clinic=c1',
			'x-goog-resource-id': channel.resourceId,
			'x-goog-resource-uri': channel.resourceUri,
			'x-goog-resource-state': 'sync',
			'x-goog-message-number': '1'
		});
		expect(new Date(hook.headers[0]['x-goog-channel-expiration'] as string).getTime()).toBe(
			Math.floor(Number(channel.expiration) / 1000) * 1000
		);

		await cal.events.insert({ calendarId: ADA, requestBody: { start: at(9), end: at(10) } });
		google.createEvent(ADA, { start: at(11), end: at(12) });
		await google.whenDelivered(3);
		expect(hook.headers.map((h) => [h['x-goog-resource-state'], h['x-goog-message-number']])).toEqual([
			['sync', '1'],
			['exists', '2'],
			['exists', '3']
		]);
		expect(google.deliveries.map((d) => d.status)).toEqual([200, 200, 200]);

		await cal.channels.stop({ requestBody: { id: 'channel-1', resourceId: channel.resourceId } });
		expect(google.channels).toEqual([]);
		expect(await failure(cal.channels.stop({ requestBody: { id: 'channel-1', resourceId: channel.resourceId } }))).toEqual({
			status: 404,
			reason: 'notFound'
		});
		google.createEvent(ADA, { start: at(13), end: at(14) });
		// A second channel's `sync` arrives after anything the stopped one would have been sent.
		await cal.events.watch({ calendarId: ADA, requestBody: { id: 'channel-2', type: 'web_hook', address: hook.url } });
		await google.whenDelivered(4);
		expect(google.deliveries.map((d) => d.channelId)).toEqual(['channel-1', 'channel-1', 'channel-1', 'channel-2']);
	});

	it('holds notifications and delivers them reversed and twice; resends the last', async () => {
		const hook = await receiver();
		await api().events.watch({ calendarId: ADA, requestBody: { id: 'channel-1', type: 'web_hook', address: hook.url } });
		await google.whenDelivered(1);
		google.holdNotifications();
		google.createEvent(ADA, { start: at(9), end: at(10) });
		google.createEvent(ADA, { start: at(10), end: at(11) });
		await google.releaseNotifications({ order: 'reversed', duplicate: true });
		await google.resendLast('channel-1');
		expect(hook.headers.map((h) => h['x-goog-message-number'])).toEqual(['1', '3', '3', '2', '2', '3']);
	});
});

describe('faults', () => {
	it('answers failNext errors; the client retries a 5xx GET unless told retry: false', async () => {
		const cal = api();
		await cal.calendarList.list();
		const lists = () => google.requests.filter((r) => r.path === `/calendar/v3/calendars/${encodeURIComponent(ADA)}/events`);

		google.failNext(1, 429);
		expect(await failure(cal.events.list({ calendarId: ADA }, { retry: false }))).toEqual({
			status: 429,
			reason: 'rateLimitExceeded'
		});
		expect(lists().map((r) => r.status)).toEqual([429]);

		google.failNext(1, 403, 'userRateLimitExceeded');
		expect(await failure(cal.events.list({ calendarId: ADA }, { retry: false }))).toEqual({
			status: 403,
			reason: 'userRateLimitExceeded'
		});

		// By default gaxios retries GET/PUT/DELETE on 429 and 5xx (first after 100 ms); POST and PATCH never.
		google.failNext(1, 503);
		expect((await cal.events.list({ calendarId: ADA })).status).toBe(200);
		expect(lists().map((r) => r.status)).toEqual([429, 403, 503, 200]);
		google.failNext(1, 500);
		expect(await failure(cal.events.insert({ calendarId: ADA, requestBody: { start: at(9), end: at(10) } }))).toEqual({
			status: 500,
			reason: 'backendError'
		});
		expect(inserts()).toHaveLength(1);
	});

	it('holds calendar requests while paused', async () => {
		const cal = api();
		await cal.calendarList.list();
		const release = google.pause();
		const listing = cal.events.list({ calendarId: ADA });
		await google.whenRequests(1, (r) => r.path.endsWith('/events'));
		expect(google.requests.at(-1)?.status).toBeUndefined();
		release();
		expect((await listing).status).toBe(200);
	});
});
