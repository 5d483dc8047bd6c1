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
		const sessions = new Sessions(store, clock);
		const { token, session } = await sessions.create('u1', { ip: null, userAgent: null });
		now += 10 * DAY;
		expect((await sessions.validateToken(token))!.session.expiresAt).toBe(session.expiresAt);
		now += 10 * DAY;
		expect((await sessions.validateToken(token))!.session.expiresAt).toBe(now + SESSION_TTL_MS);
		now += 29 * DAY;
		expect(await sessions.validateToken(token)).not.toBeNull();
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
