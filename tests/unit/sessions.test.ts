import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sessions, SESSION_TTL_MS, SyncTickets, TICKET_TTL_MS } from '../../server/auth/index.ts';
import type { Store } from '../../server/store/index.ts';
import { storeWithStaff } from '../helpers/staffStore.ts';

const DAY = 24 * 60 * 60 * 1000;
let store: Store;
let now: number;
const clock = () => now;

beforeEach(async () => {
	now = Date.UTC(2026, 10, 25, 9, 0, 0);
	store = await storeWithStaff('fd-sessions-', now);
});

afterEach(async () => {
	await store.close();
});

describe('sessions (Lucia scheme)', () => {
	it('stores only the SHA-256 of the 256-bit token', async () => {
		const sessions = new Sessions(store, clock);
		const { token, session } = await sessions.create('u1', { ip: '10.0.0.1', userAgent: 'Tablet' });
		expect(token).toMatch(/^[a-z2-7]{52}$/); // 32 bytes in base32
		expect(session.id).toMatch(/^[0-9a-f]{64}$/);
		expect(session.id).not.toContain(token);
		expect(await store.sessions.get(token)).toBeNull();
		expect((await sessions.validateToken(token))?.user.id).toBe('u1');
	});

	it('expires after 30 days without use', async () => {
		const sessions = new Sessions(store, clock);
		const { token } = await sessions.create('u1', { ip: null, userAgent: null });
		now += SESSION_TTL_MS;
		expect(await sessions.validateToken(token)).toBeNull();
		expect(await store.sessions.listForUser('u1')).toEqual([]);
	});

	it('slides: use in the second half of its life extends it by 30 days from now', async () => {
		// Idle expiry is as long as the lifetime here: this test is about the sliding expiry alone.
		const sessions = new Sessions(store, clock, SESSION_TTL_MS);
		const { token, session } = await sessions.create('u1', { ip: null, userAgent: null });
		now += 10 * DAY;
		expect((await sessions.validateToken(token))!.session.expiresAt).toBe(session.expiresAt);
		now += 10 * DAY;
		expect((await sessions.validateToken(token))!.session.expiresAt).toBe(now + SESSION_TTL_MS);
		now += 29 * DAY;
		expect(await sessions.validateToken(token)).not.toBeNull();
	});

	it('a session unused for the idle time ends, one in use does not', async () => {
		const sessions = new Sessions(store, clock, 14 * DAY);
		const used = await sessions.create('u1', { ip: null, userAgent: null });
		const idle = await sessions.create('u1', { ip: null, userAgent: null });
		for (let day = 0; day < 20; day++) {
			now += DAY;
			expect(await sessions.validateToken(used.token)).not.toBeNull();
		}
		expect(await sessions.validateToken(idle.token)).toBeNull();
		expect((await sessions.list('u1')).map((s) => s.id)).toEqual([used.session.id]);
	});

	it('the sweep removes idle sessions as well as expired ones', async () => {
		const sessions = new Sessions(store, clock, 14 * DAY);
		const idle = await sessions.create('u1', { ip: null, userAgent: null });
		now += 13 * DAY;
		const fresh = await sessions.create('u1', { ip: null, userAgent: null });
		now += 2 * DAY;
		expect(await sessions.sweep()).toBe(1);
		expect(await store.sessions.get(idle.session.id)).toBeNull();
		expect(await store.sessions.get(fresh.session.id)).not.toBeNull();
	});

	it('a deactivated user’s session is not valid; ending all of a user’s sessions announces each', async () => {
		const sessions = new Sessions(store, clock);
		const a = await sessions.create('u1', { ip: null, userAgent: null });
		const b = await sessions.create('u1', { ip: null, userAgent: null });
		const c = await sessions.create('u1', { ip: null, userAgent: null });
		const ended: string[] = [];
		sessions.events.on('ended', (id) => ended.push(id));
		expect(await sessions.endAllForUser('u1', a.session.id)).toBe(2);
		expect(ended.sort()).toEqual([b.session.id, c.session.id].sort());
		expect(await sessions.validateToken(a.token)).not.toBeNull();
		await store.users.update('u1', { active: false });
		expect(await sessions.validateToken(a.token)).toBeNull();
	});

	it('revocation ends the session at once and announces it', async () => {
		const sessions = new Sessions(store, clock);
		const { token, session } = await sessions.create('u1', { ip: null, userAgent: null });
		const ended: string[] = [];
		sessions.events.on('ended', (id) => ended.push(id));
		await sessions.end(session.id);
		expect(await sessions.validateToken(token)).toBeNull();
		expect(ended).toEqual([session.id]);
		expect(await sessions.live([session.id])).toEqual(new Set());
	});

	it('rejects unknown tokens', async () => {
		expect(await new Sessions(store, clock).validateToken('nope')).toBeNull();
	});
});

describe('sync tickets', () => {
	it('open one doc once', async () => {
		const { session } = await new Sessions(store, clock).create('u1', { ip: null, userAgent: null });
		const tickets = new SyncTickets(store, clock);
		const ticket = await tickets.issue(session.id, 'c1/inbox');
		expect(await tickets.redeem(ticket, 'c1/inbox')).toBe(session.id);
		expect(await tickets.redeem(ticket, 'c1/inbox')).toBeNull();
	});

	it('expire after 60 s', async () => {
		const { session } = await new Sessions(store, clock).create('u1', { ip: null, userAgent: null });
		const tickets = new SyncTickets(store, clock);
		const ticket = await tickets.issue(session.id, 'c1/inbox');
		now += TICKET_TTL_MS;
		expect(await tickets.redeem(ticket, 'c1/inbox')).toBeNull();
	});

	it('are used up by a try on the wrong doc', async () => {
		const { session } = await new Sessions(store, clock).create('u1', { ip: null, userAgent: null });
		const tickets = new SyncTickets(store, clock);
		const ticket = await tickets.issue(session.id, 'c1/inbox');
		expect(await tickets.redeem(ticket, 'c1/contacts')).toBeNull();
		expect(await tickets.redeem(ticket, 'c1/inbox')).toBeNull();
	});
});
