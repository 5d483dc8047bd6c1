import { afterEach, describe, expect, it } from 'vitest';
import type { DocAppend, SideRow, Store, UpdateToAppend } from '../../server/store/index.ts';

/**
 * The storage contract (docs/spec/sync.md, SYNC-STORE-*): every engine runs this suite on fresh databases.
 * `fresh` opens a store on a new, empty database; `sameDatabase` opens a second store on the database of the
 * given one, as a second process would.
 */
export function storeContract(engine: string, fresh: () => Promise<Store>, sameDatabase: (store: Store) => Promise<Store>): void {
	const open: Store[] = [];
	const track = (store: Store) => (open.push(store), store);
	const newStore = async () => track(await fresh());
	afterEach(async () => {
		for (const store of open.splice(0).reverse()) await store.close();
	});

	const HOUR = 3_600_000;
	const now = Date.UTC(2026, 0, 5, 9);

	/** A store with clinic c1 (and c2), user u1 in c1, and session s1 of u1. */
	async function seeded(): Promise<Store> {
		const store = await newStore();
		await store.clinics.insert({ id: 'c1', name: 'Clinic one', createdAt: now }, Buffer.from('wrapped-1'));
		await store.clinics.insert({ id: 'c2', name: 'Clinic two', createdAt: now }, Buffer.from('wrapped-2'));
		await store.users.insert(user('u1', 'a@example.com'));
		await store.sessions.insert(session('s1', now + HOUR));
		return store;
	}
	const user = (id: string, email: string) => ({
		id,
		clinicId: 'c1',
		email,
		name: 'Ana',
		role: 'reception' as const,
		passwordHash: 'hash',
		active: true,
		practitionerId: null as string | null,
		createdAt: now
	});
	const session = (id: string, expiresAt: number, lastSeenAt = now) => ({
		id,
		userId: 'u1',
		createdAt: now,
		expiresAt,
		lastSeenAt,
		ip: '10.0.0.1',
		userAgent: 'Tablet'
	});

	/** A stand-in for sealing: the bytes carry the sequence they were sealed with, as the real AAD does. */
	const seal = (seq: number, update: Uint8Array) => Buffer.concat([Buffer.from(`${seq}|`), update]);
	const unseal = (data: Buffer) => {
		const bar = data.indexOf('|');
		return { seq: Number(data.subarray(0, bar).toString()), text: data.subarray(bar + 1).toString() };
	};
	const writer = (userId: string): SideRow => ({ kind: 'writer', source: 'connection', userId, sessionId: 's1' });
	const updates = (...texts: string[]): UpdateToAppend[] => texts.map((t) => ({ update: Buffer.from(t), rows: [] }));
	const append = (docName: string, list: UpdateToAppend[], clinicId = 'c1', sealer = seal): DocAppend => ({
		docName,
		clinicId,
		updates: list,
		seal: sealer
	});
	const texts = async (store: Store, docName: string) =>
		(await store.docs.load(docName)).map((r) => {
			const { seq, text } = unseal(r.data);
			// Sealed with the sequence it is stored under, as the real associated data requires.
			expect(seq).toBe(r.seq);
			return { seq: r.seq, kind: r.kind, text };
		});

	describe(`store contract: ${engine}`, () => {
		describe('meta', () => {
			it('gets what was set, and a second set replaces it', async () => {
				const store = await newStore();
				expect(await store.meta.get('k')).toBeNull();
				await store.meta.set('k', Buffer.from('one'));
				await store.meta.set('k', Buffer.from('two'));
				expect((await store.meta.get('k'))?.toString()).toBe('two');
			});
		});

		describe('clinics', () => {
			it('inserts, gets, counts, and keeps the wrapped key', async () => {
				const store = await seeded();
				expect(await store.clinics.get('c1')).toEqual({ id: 'c1', name: 'Clinic one', createdAt: now });
				expect(await store.clinics.get('nope')).toBeNull();
				expect(await store.clinics.count()).toBe(2);
				expect((await store.clinics.getWrappedKey('c2'))?.toString()).toBe('wrapped-2');
				expect(await store.clinics.getWrappedKey('nope')).toBeNull();
				await expect(store.clinics.insert({ id: 'c1', name: 'Again', createdAt: now }, Buffer.alloc(1))).rejects.toThrow();
			});

			it('lists every clinic oldest first and renames one', async () => {
				const store = await seeded();
				expect(await store.clinics.rename('c2', 'Renamed')).toBe(true);
				expect(await store.clinics.rename('nope', 'X')).toBe(false);
				expect(await store.clinics.list()).toEqual([
					{ id: 'c1', name: 'Clinic one', createdAt: now },
					{ id: 'c2', name: 'Renamed', createdAt: now }
				]);
			});
		});

		describe('meta (deletion)', () => {
			it('deletes a value; deleting a missing one is no error', async () => {
				const store = await newStore();
				await store.meta.set('k', Buffer.from('v'));
				await store.meta.delete('k');
				await store.meta.delete('k');
				expect(await store.meta.get('k')).toBeNull();
			});
		});

		describe('users', () => {
			it('inserts and finds by id and email; an email belongs to one user; the clinic must exist', async () => {
				const store = await seeded();
				expect(await store.users.getById('u1')).toEqual(user('u1', 'a@example.com'));
				expect((await store.users.getByEmail('a@example.com'))?.id).toBe('u1');
				expect(await store.users.getById('nope')).toBeNull();
				expect(await store.users.getByEmail('nope@example.com')).toBeNull();
				await expect(store.users.insert(user('u2', 'a@example.com'))).rejects.toThrow();
				await expect(store.users.insert({ ...user('u3', 'c@example.com'), clinicId: 'nope' })).rejects.toThrow();
			});

			it('lists a clinic’s staff by name and changes a user’s fields', async () => {
				const store = await seeded();
				await store.users.insert({ ...user('u2', 'b@example.com'), name: 'Aa' });
				await store.users.insert({ ...user('u3', 'c@example.com'), clinicId: 'c2' });
				expect((await store.users.listForClinic('c1')).map((u) => u.id)).toEqual(['u2', 'u1']);
				expect(await store.users.update('u1', { role: 'practitioner', practitionerId: 'p1', active: false })).toBe(true);
				expect(await store.users.getById('u1')).toMatchObject({
					role: 'practitioner',
					practitionerId: 'p1',
					active: false,
					name: 'Ana'
				});
				expect(await store.users.update('u1', { practitionerId: null })).toBe(true);
				expect((await store.users.getById('u1'))?.practitionerId).toBeNull();
				expect(await store.users.update('nope', { name: 'X' })).toBe(false);
			});

			it('never leaves a clinic that has an active admin without one', async () => {
				const store = await seeded();
				await store.users.insert({ ...user('a1', 'admin1@example.com'), role: 'admin' });
				await store.users.insert({ ...user('a2', 'admin2@example.com'), role: 'admin' });
				expect(await store.users.updateKeepingAnAdmin('a1', { role: 'reception' })).toBe('ok');
				expect(await store.users.updateKeepingAnAdmin('a2', { active: false })).toBe('no-admin-left');
				expect(await store.users.updateKeepingAnAdmin('a2', { role: 'practitioner' })).toBe('no-admin-left');
				expect(await store.users.getById('a2')).toMatchObject({ role: 'admin', active: true });
				// Changes that keep an admin go through; a clinic without any admin yet is not blocked.
				expect(await store.users.updateKeepingAnAdmin('a2', { name: 'Renamed' })).toBe('ok');
				expect(await store.users.updateKeepingAnAdmin('u1', { role: 'practitioner' })).toBe('ok');
				expect(await store.users.updateKeepingAnAdmin('nope', { name: 'X' })).toBe('not-found');
				await store.users.insert({ ...user('r2', 'r2@example.com'), clinicId: 'c2' });
				expect(await store.users.updateKeepingAnAdmin('r2', { active: false })).toBe('ok');
			});
		});

		describe('invitations', () => {
			const invitation = (id: string, userId: string, expiresAt: number, createdAt = now) => ({
				id,
				userId,
				createdBy: 'u1',
				createdAt,
				expiresAt
			});

			it('a link is taken once, and only while valid', async () => {
				const store = await seeded();
				await store.invitations.insert(invitation('i1', 'u1', now + HOUR));
				await store.invitations.insert(invitation('i2', 'u1', now));
				const [first, second] = await Promise.all([store.invitations.take('i1', now), store.invitations.take('i1', now)]);
				expect([first?.id ?? null, second?.id ?? null].sort()).toEqual(['i1', null].sort());
				expect(await store.invitations.take('i2', now)).toBeNull();
				expect(await store.invitations.get('i2')).toBeNull();
			});

			it('finds each user’s latest valid link, removes a user’s links, and sweeps expired ones', async () => {
				const store = await seeded();
				await store.users.insert(user('u2', 'b@example.com'));
				await store.invitations.insert(invitation('old', 'u1', now + HOUR, now - 2));
				await store.invitations.insert(invitation('new', 'u1', now + 2 * HOUR, now - 1));
				await store.invitations.insert(invitation('gone', 'u2', now - 1));
				const pending = await store.invitations.pendingFor(['u1', 'u2', 'u3'], now);
				expect([...pending.entries()].map(([u, i]) => [u, i.id])).toEqual([['u1', 'new']]);
				expect(await store.invitations.deleteExpired(now)).toBe(1);
				await store.invitations.deleteForUser('u1');
				expect(await store.invitations.get('new')).toBeNull();
				expect(await store.invitations.get('old')).toBeNull();
			});
		});

		describe('sessions', () => {
			it('inserts, gets, touches, lists most recent first, and deletes', async () => {
				const store = await seeded();
				await store.sessions.insert(session('s2', now + 2 * HOUR, now + 1));
				expect(await store.sessions.get('s1')).toEqual(session('s1', now + HOUR));
				await store.sessions.touch('s1', now + 3 * HOUR, now + 2);
				expect(await store.sessions.get('s1')).toMatchObject({ expiresAt: now + 3 * HOUR, lastSeenAt: now + 2 });
				expect((await store.sessions.listForUser('u1')).map((s) => s.id)).toEqual(['s1', 's2']);
				expect(await store.sessions.delete('s1')).toBe(true);
				expect(await store.sessions.delete('s1')).toBe(false);
				expect(await store.sessions.get('s1')).toBeNull();
			});

			it('tells which sessions are live: existing and not expired', async () => {
				const store = await seeded();
				await store.sessions.insert(session('old', now - 1));
				const live = await store.sessions.liveIds(['s1', 'old', 'unknown'], now);
				expect([...live]).toEqual(['s1']);
			});

			it('sweeps expired sessions, and their tickets with them', async () => {
				const store = await seeded();
				await store.sessions.insert(session('old', now));
				await store.tickets.insert({ id: 't-old', sessionId: 'old', docName: 'c1/inbox', expiresAt: now + HOUR });
				expect(await store.sessions.deleteExpired(now)).toBe(1);
				expect(await store.sessions.get('s1')).not.toBeNull();
				expect(await store.tickets.take('t-old')).toBeNull();
			});

			it('sweeps sessions idle since a time; removes a user’s sessions but the one kept', async () => {
				const store = await seeded();
				await store.sessions.insert(session('idle', now + HOUR, now - 10));
				expect(await store.sessions.deleteExpired(now, now - 5)).toBe(1);
				expect(await store.sessions.get('s1')).not.toBeNull();
				await store.sessions.insert(session('s2', now + HOUR));
				await store.sessions.insert(session('s3', now + HOUR));
				expect((await store.sessions.deleteForUser('u1', 's2')).sort()).toEqual(['s1', 's3']);
				expect((await store.sessions.listForUser('u1')).map((s) => s.id)).toEqual(['s2']);
				expect(await store.sessions.deleteForUser('u1')).toEqual(['s2']);
			});
		});

		describe('tickets', () => {
			it('a ticket is taken once, even by two callers at the same moment', async () => {
				const store = await seeded();
				const ticket = { id: 't1', sessionId: 's1', docName: 'c1/inbox', expiresAt: now + 60_000 };
				await store.tickets.insert(ticket);
				const taken = await Promise.all([store.tickets.take('t1'), store.tickets.take('t1')]);
				expect(taken.filter((t) => t !== null)).toEqual([ticket]);
				expect(await store.tickets.take('t1')).toBeNull();
			});

			it('sweeps expired tickets only', async () => {
				const store = await seeded();
				await store.tickets.insert({ id: 'old', sessionId: 's1', docName: 'c1/inbox', expiresAt: now });
				await store.tickets.insert({ id: 'new', sessionId: 's1', docName: 'c1/inbox', expiresAt: now + 1 });
				expect(await store.tickets.deleteExpired(now)).toBe(1);
				expect(await store.tickets.take('old')).toBeNull();
				expect((await store.tickets.take('new'))?.id).toBe('new');
			});
		});

		describe('docs', () => {
			it('an unknown doc has no records', async () => {
				const store = await seeded();
				expect(await store.docs.load('c1/inbox')).toEqual([]);
			});

			it('SYNC-STORE-4: the store hands out each doc’s sequences, in append order, sealing each with its own', async () => {
				const store = await seeded();
				const [inbox, contacts] = await store.docs.append([
					append('c1/inbox', updates('a', 'b')),
					append('c1/contacts', updates('x'))
				]);
				expect(inbox).toEqual({ ok: true, seqs: [1, 2] });
				expect(contacts).toEqual({ ok: true, seqs: [1] });
				expect(await store.docs.append([append('c1/inbox', updates('c'))])).toEqual([{ ok: true, seqs: [3] }]);
				expect(await texts(store, 'c1/inbox')).toEqual([
					{ seq: 1, kind: 'update', text: 'a' },
					{ seq: 2, kind: 'update', text: 'b' },
					{ seq: 3, kind: 'update', text: 'c' }
				]);
				expect((await store.docs.load('c1/inbox'))[0]).toMatchObject({ docName: 'c1/inbox', clinicId: 'c1' });
			});

			it('SYNC-STORE-4: two processes appending to one doc never overwrite each other’s records', async () => {
				const first = await seeded();
				const second = track(await sameDatabase(first));
				const rounds = 20;
				const writes: Promise<unknown>[] = [];
				for (let i = 0; i < rounds; i++) {
					writes.push(first.docs.append([append('c1/inbox', updates(`first ${i}`, `first ${i}b`))]));
					writes.push(second.docs.append([append('c1/inbox', updates(`second ${i}`))]));
				}
				await Promise.all(writes);
				const stored = await texts(second, 'c1/inbox');
				expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: rounds * 3 }, (_, i) => i + 1));
				const written = stored.map((r) => r.text).sort();
				const expected = Array.from({ length: rounds }, (_, i) => [`first ${i}`, `first ${i}b`, `second ${i}`]).flat();
				expect(written).toEqual(expected.sort());
			});

			it('compaction replaces the records up to a sequence by the snapshot; later appends continue after it', async () => {
				const store = await seeded();
				await store.docs.append([append('c1/inbox', updates('a', 'b', 'c'))]);
				await store.docs.compact({
					docName: 'c1/inbox',
					clinicId: 'c1',
					seq: 2,
					kind: 'snapshot',
					data: seal(2, Buffer.from('ab'))
				});
				expect(await texts(store, 'c1/inbox')).toEqual([
					{ seq: 2, kind: 'snapshot', text: 'ab' },
					{ seq: 3, kind: 'update', text: 'c' }
				]);
				await store.docs.compact({
					docName: 'c1/inbox',
					clinicId: 'c1',
					seq: 3,
					kind: 'snapshot',
					data: seal(3, Buffer.from('abc'))
				});
				expect(await store.docs.append([append('c1/inbox', updates('d'))])).toEqual([{ ok: true, seqs: [4] }]);
				expect(await texts(store, 'c1/inbox')).toEqual([
					{ seq: 3, kind: 'snapshot', text: 'abc' },
					{ seq: 4, kind: 'update', text: 'd' }
				]);
			});

			it('reports a clinic’s usage: its docs and the bytes of their records', async () => {
				const store = await seeded();
				expect(await store.docs.clinicUsage('c1')).toEqual({ docs: 0, bytes: 0 });
				await store.docs.append([
					append('c1/inbox', updates('aa', 'bb')),
					append('c1/contacts', updates('cc')),
					append('c2/inbox', updates('dddd'), 'c2')
				]);
				const bytes = (seq: number, text: string) => seal(seq, Buffer.from(text)).length;
				expect(await store.docs.clinicUsage('c1')).toEqual({ docs: 2, bytes: bytes(1, 'aa') + bytes(2, 'bb') + bytes(1, 'cc') });
				expect(await store.docs.clinicUsage('c2')).toEqual({ docs: 1, bytes: bytes(1, 'dddd') });
				await store.docs.compact({
					docName: 'c1/inbox',
					clinicId: 'c1',
					seq: 2,
					kind: 'snapshot',
					data: seal(2, Buffer.from('x'))
				});
				expect(await store.docs.clinicUsage('c1')).toEqual({ docs: 2, bytes: bytes(2, 'x') + bytes(1, 'cc') });
			});

			it('refuses a doc whose name is not under the clinic it is stored for', async () => {
				const store = await seeded();
				const [result] = await store.docs.append([append('c2/inbox', updates('a'), 'c1')]);
				expect(result.ok).toBe(false);
				expect(await store.docs.load('c2/inbox')).toEqual([]);
				expect(await store.docs.clinicUsage('c1')).toEqual({ docs: 0, bytes: 0 });
			});

			it('SYNC-STORE-5: a doc that fails is rolled back alone; the other docs of the batch are stored', async () => {
				const store = await seeded();
				// Fails for its second update, every time (a store may retry a batch to isolate the doc that fails).
				const failsOnSecond = (seq: number, update: Uint8Array) => {
					if (Buffer.from(update).toString() === 'y') throw new Error('sealing failed');
					return seal(seq, update);
				};
				const results = await store.docs.append([
					append('c1/inbox', updates('a')),
					// Its first update was inserted before its second failed: neither stays.
					append('c1/contacts', updates('x', 'y'), 'c1', failsOnSecond),
					// No such clinic: the store refuses its records.
					append('c9/inbox', updates('z'), 'c9'),
					append('c2/inbox', updates('b'), 'c2')
				]);
				expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
				expect(String((results[1] as { error: unknown }).error)).toMatch(/sealing failed/);
				expect(await texts(store, 'c1/inbox')).toEqual([{ seq: 1, kind: 'update', text: 'a' }]);
				expect(await texts(store, 'c2/inbox')).toEqual([{ seq: 1, kind: 'update', text: 'b' }]);
				expect(await store.docs.load('c1/contacts')).toEqual([]);
				expect(await store.docs.load('c9/inbox')).toEqual([]);
				// The failed doc's sequences were not used up.
				expect(await store.docs.append([append('c1/contacts', updates('x'))])).toEqual([{ ok: true, seqs: [1] }]);
			});

			it('SYNC-STORE-6: side rows are stored with their update and removed with the records a compaction folds in', async () => {
				const store = await seeded();
				const job: SideRow = { kind: 'writer', source: 'job', userId: null, sessionId: null };
				await store.docs.append([
					append('c1/inbox', [
						{ update: Buffer.from('a'), rows: [writer('u1')] },
						{ update: Buffer.from('b'), rows: [job] },
						{ update: Buffer.from('c'), rows: [writer('u2')] }
					])
				]);
				expect(await store.docs.writers('c1/inbox')).toEqual([
					{ seq: 1, source: 'connection', userId: 'u1', sessionId: 's1' },
					{ seq: 2, source: 'job', userId: null, sessionId: null },
					{ seq: 3, source: 'connection', userId: 'u2', sessionId: 's1' }
				]);
				await store.docs.compact({
					docName: 'c1/inbox',
					clinicId: 'c1',
					seq: 2,
					kind: 'snapshot',
					data: seal(2, Buffer.from('ab'))
				});
				expect(await store.docs.writers('c1/inbox')).toEqual([{ seq: 3, source: 'connection', userId: 'u2', sessionId: 's1' }]);
			});

			it('SYNC-STORE-6: a side row the store refuses fails its doc: neither its records nor its rows stay', async () => {
				const store = await seeded();
				const results = await store.docs.append([
					append('c1/inbox', [{ update: Buffer.from('a'), rows: [writer('u1')] }]),
					// The same writer twice for one record: the second row is refused.
					append('c1/contacts', [
						{ update: Buffer.from('x'), rows: [writer('u1')] },
						{ update: Buffer.from('y'), rows: [writer('u1'), writer('u1')] }
					])
				]);
				expect(results.map((r) => r.ok)).toEqual([true, false]);
				expect(await store.docs.load('c1/contacts')).toEqual([]);
				expect(await store.docs.writers('c1/contacts')).toEqual([]);
				expect(await store.docs.writers('c1/inbox')).toEqual([{ seq: 1, source: 'connection', userId: 'u1', sessionId: 's1' }]);
			});
		});

		describe('channels', () => {
			const inbound = (messageId: string): SideRow => ({ kind: 'inbound', provider: 'whatsapp', messageId });

			it('CHAN-DEDUPE-1: a provider message id is stored with its update once; a second update with it fails its doc alone', async () => {
				const store = await seeded();
				expect(await store.inboundMessages.seen('whatsapp', 'wamid.1')).toBe(false);
				const [first] = await store.docs.append([
					append('c1/thread/t1', [{ update: Buffer.from('a'), rows: [inbound('wamid.1')] }])
				]);
				expect(first.ok).toBe(true);
				expect(await store.inboundMessages.seen('whatsapp', 'wamid.1')).toBe(true);
				expect(await store.inboundMessages.seen('instagram', 'wamid.1')).toBe(false);
				const results = await store.docs.append([
					append('c1/thread/t1', [{ update: Buffer.from('again'), rows: [inbound('wamid.1')] }]),
					append('c1/inbox', updates('summary'))
				]);
				expect(results.map((r) => r.ok)).toEqual([false, true]);
				expect((await texts(store, 'c1/thread/t1')).map((r) => r.text)).toEqual(['a']);
				// Kept past a compaction: the id must stay known after its record is folded.
				await store.docs.compact({
					docName: 'c1/thread/t1',
					clinicId: 'c1',
					kind: 'snapshot',
					seq: 1,
					data: seal(1, Buffer.from('s'))
				});
				expect(await store.inboundMessages.seen('whatsapp', 'wamid.1')).toBe(true);
			});

			it('CHAN-JOURNAL-1: events are journaled once; an id journaled or already written is a duplicate', async () => {
				const store = await seeded();
				const event = (messageId: string) => ({
					provider: 'whatsapp',
					messageId,
					clinicId: 'c1',
					data: Buffer.from(`sealed ${messageId}`),
					receivedAt: 1000
				});
				await store.docs.append([append('c1/thread/t1', [{ update: Buffer.from('a'), rows: [inbound('wamid.written')] }])]);
				const seqs = await store.inboundJournal.append([
					event('wamid.1'),
					event('wamid.1'),
					event('wamid.written'),
					event('wamid.2')
				]);
				expect(seqs.map((s) => s === null)).toEqual([false, true, true, false]);
				expect(seqs[3]!).toBeGreaterThan(seqs[0]!);
				expect(await store.inboundJournal.append([event('wamid.2')])).toEqual([null]);
				const pending = await store.inboundJournal.pending(0, 10);
				expect(pending.map((r) => [r.messageId, r.data.toString(), r.threadId])).toEqual([
					['wamid.1', 'sealed wamid.1', null],
					['wamid.2', 'sealed wamid.2', null]
				]);
				expect((await store.inboundJournal.pending(pending[0].seq, 10)).map((r) => r.messageId)).toEqual(['wamid.2']);
				expect(await store.inboundJournal.backlog()).toBe(2);
			});

			it('CHAN-JOURNAL-2: the inbox update records the thread, the thread update takes the event out, in their savepoints', async () => {
				const store = await seeded();
				const [seq1, seq2] = (await store.inboundJournal.append(
					['wamid.1', 'wamid.2'].map((messageId) => ({
						provider: 'whatsapp',
						messageId,
						clinicId: 'c1',
						data: Buffer.from('x'),
						receivedAt: 1
					}))
				)) as number[];
				const counted: SideRow = { kind: 'journal-thread', seq: seq1, threadId: 't1', contactId: 'k1' };
				await store.docs.append([append('c1/inbox', [{ update: Buffer.from('count'), rows: [counted] }])]);
				expect((await store.inboundJournal.pending(0, 10)).map((r) => [r.messageId, r.threadId, r.contactId])).toEqual([
					['wamid.1', 't1', 'k1'],
					['wamid.2', null, null]
				]);
				// A thread update that fails (its id was written before) keeps its event in the journal.
				await store.docs.append([append('c1/thread/t0', [{ update: Buffer.from('a'), rows: [inbound('wamid.2')] }])]);
				const results = await store.docs.append([
					append('c1/thread/t1', [
						{ update: Buffer.from('m1'), rows: [inbound('wamid.1'), { kind: 'journal-done', seq: seq1 }] }
					]),
					append('c1/thread/t2', [{ update: Buffer.from('m2'), rows: [inbound('wamid.2'), { kind: 'journal-done', seq: seq2 }] }])
				]);
				expect(results.map((r) => r.ok)).toEqual([true, false]);
				expect((await store.inboundJournal.pending(0, 10)).map((r) => r.messageId)).toEqual(['wamid.2']);
				await store.inboundJournal.fail(seq2, 2000);
				expect(await store.inboundJournal.pending(0, 10)).toEqual([]);
				expect(await store.inboundJournal.backlog()).toBe(0);
			});

			it('CHAN-DISPATCH-3: an outbox mark comes with its update and is cleared only if no later update marked it', async () => {
				const store = await seeded();
				const mark = { kind: 'outbox' } as const;
				await store.docs.append([append('c1/thread/t1', [{ update: Buffer.from('q'), rows: [mark] }])]);
				const [pending] = await store.outbox.pending();
				expect(pending).toMatchObject({ docName: 'c1/thread/t1', clinicId: 'c1' });
				await store.docs.append([append('c1/thread/t1', [{ update: Buffer.from('q2'), rows: [mark] }])]);
				expect(await store.outbox.clear('c1/thread/t1', pending.mark)).toBe(false);
				const [again] = await store.outbox.pending();
				expect(await store.outbox.clear('c1/thread/t1', again.mark)).toBe(true);
				expect(await store.outbox.pending()).toEqual([]);
			});

			it('CHAN-DISPATCH-1: one claim per (doc, entry, attempt), across processes; its outcome and provider id are kept', async () => {
				const first = await seeded();
				const second = track(await sameDatabase(first));
				const key = { docName: 'c1/thread/t1', entryId: 'e1', attempt: 1 };
				const claims = await Promise.all([first.outbox.claim(key, 'boot-a', now), second.outbox.claim(key, 'boot-b', now)]);
				expect(claims.filter(Boolean)).toHaveLength(1);
				expect(await first.outbox.getClaim(key)).toMatchObject({ ...key, outcome: null });
				await first.outbox.finish(key, { status: 'sent', providerMessageId: 'wamid.out' });
				expect((await second.outbox.getClaim(key))?.outcome).toEqual({ status: 'sent', providerMessageId: 'wamid.out' });
				expect(await second.outbox.docOfSent('wamid.out')).toEqual({ docName: 'c1/thread/t1', entryId: 'e1' });
				expect(await first.outbox.claim({ ...key, attempt: 2 }, 'boot-a', now)).toBe(true);
				// Given back only while no outcome is recorded (a rate limit): then it may be claimed again.
				const limited = { ...key, entryId: 'e2' };
				expect(await first.outbox.claim(limited, 'boot-a', now)).toBe(true);
				await first.outbox.release(limited);
				expect(await second.outbox.claim(limited, 'boot-b', now)).toBe(true);
				await first.outbox.release(key);
				expect(await first.outbox.claim(key, 'boot-a', now)).toBe(false);
			});

			it("CHAN-ACCOUNT-1: an account belongs to one clinic; connecting again replaces only its own clinic's token", async () => {
				const store = await seeded();
				const row = {
					provider: 'whatsapp' as const,
					externalId: '1065',
					clinicId: 'c1',
					sealedToken: Buffer.from('t1'),
					createdAt: now
				};
				expect(await store.channelAccounts.connect(row)).toBe(true);
				expect(await store.channelAccounts.connect({ ...row, sealedToken: Buffer.from('t2') })).toBe(true);
				expect(await store.channelAccounts.connect({ ...row, clinicId: 'c2', sealedToken: Buffer.from('t3') })).toBe(false);
				expect(await store.channelAccounts.find('whatsapp', '1065')).toMatchObject({
					clinicId: 'c1',
					sealedToken: Buffer.from('t2')
				});
				expect(await store.channelAccounts.find('instagram', '1065')).toBeNull();
				await store.channelAccounts.connect({
					provider: 'phone',
					externalId: '+902161234567',
					clinicId: 'c1',
					sealedToken: null,
					createdAt: now + 1
				});
				expect((await store.channelAccounts.listForClinic('c1')).map((a) => a.provider)).toEqual(['whatsapp', 'phone']);
				expect(await store.channelAccounts.listForClinic('c2')).toEqual([]);
				expect(await store.channelAccounts.disconnect('c2', 'whatsapp', '1065')).toBe(false);
				expect(await store.channelAccounts.disconnect('c1', 'whatsapp', '1065')).toBe(true);
				expect(await store.channelAccounts.find('whatsapp', '1065')).toBeNull();
			});

			it('CHAN-MEDIA-3: media rows keep their clinic, type and sealed bytes', async () => {
				const store = await seeded();
				const row = {
					id: 'm1',
					clinicId: 'c1',
					mime: 'image/jpeg',
					bytes: 3,
					filename: null,
					data: Buffer.from('sealed'),
					createdAt: now
				};
				await store.media.insert(row);
				expect(await store.media.get('m1')).toEqual(row);
				expect(await store.media.get('m2')).toBeNull();
			});

			it('CHAN-MEDIA-1: a media job stays until removed; recording one twice keeps one', async () => {
				const store = await seeded();
				const job = {
					docName: 'c1/thread/t1',
					entryId: 'e1',
					clinicId: 'c1',
					provider: 'whatsapp' as const,
					accountId: '1065',
					source: 'media-1',
					kind: 'image',
					mime: 'image/jpeg',
					filename: null,
					createdAt: now
				};
				await store.media.addJob(job);
				await store.media.addJob(job);
				expect(await store.media.jobs()).toEqual([job]);
				await store.media.removeJob('c1/thread/t1', 'e1');
				expect(await store.media.jobs()).toEqual([]);
			});
		});
		describe('reminders', () => {
			it('REMIND-ONCE-1: one claim per appointment, rule and start, across processes; sent, skipped and unfinished as recorded', async () => {
				const first = await seeded();
				const second = track(await sameDatabase(first));
				const key = { clinicId: 'c1', appointmentId: 'a1', ruleId: 'r24', start: '2026-11-28T10:00' };
				const claim = { ...key, contactId: 'p1', month: '2026-11', claimedAt: now };
				const claims = await Promise.all([first.reminders.claim(claim), second.reminders.claim(claim)]);
				expect(claims.filter(Boolean)).toHaveLength(1);
				// The same appointment moved to another time is another reminder.
				expect(await first.reminders.claim({ ...claim, start: '2026-11-29T10:00' })).toBe(true);
				expect((await first.reminders.unfinished()).map((c) => c.start)).toEqual(['2026-11-28T10:00', '2026-11-29T10:00']);
				await first.reminders.sent(key, { threadDoc: 'c1/thread/t1', entryId: 'e1' }, now + 1);
				await second.reminders.skip({ ...key, start: '2026-11-29T10:00' }, 'no_consent');
				expect(await first.reminders.unfinished()).toEqual([]);
				const sent = await second.reminders.sentTo('c1', ['p1', 'p2'], now);
				expect(sent).toEqual([{ ...claim, threadDoc: 'c1/thread/t1', entryId: 'e1', sentAt: now + 1, skipped: null }]);
				expect(await second.reminders.sentTo('c1', ['p1'], now + 2)).toEqual([]);
				expect(await second.reminders.sentTo('c1', [], 0)).toEqual([]);
			});
		});
		describe('calendar', () => {
			const link = (practitionerId: string, calendarId = 'dr@example.com', calendarName: string | null = 'Dr. Ayşe') => ({
				clinicId: 'c1',
				practitionerId,
				userId: 'u1',
				calendarId,
				calendarName,
				sealedRefreshToken: Buffer.from(`sealed-${practitionerId}`),
				syncToken: null,
				channel: null,
				retryAt: 0,
				failures: 0,
				lastError: null,
				createdAt: now
			});
			const event = (eventId: string, appointmentId: string | null, months: string[]) => ({
				clinicId: 'c1',
				practitionerId: 'p1',
				eventId,
				appointmentId,
				months,
				etag: '"1"',
				fingerprint: appointmentId ? 'fp' : null
			});

			it('SCHEDULE-GOOGLE-1: a practitioner’s link, its sync state and channel, found by channel id from another process', async () => {
				const first = await seeded();
				const second = track(await sameDatabase(first));
				await first.calendar.connect(link('p1'));
				const channel = { id: 'ch1', resourceId: 'r1', tokenHash: 'h', expiresAt: now + 1000 };
				expect(
					await first.calendar.update(link('p1'), { syncToken: 'tok1', channel, failures: 2, retryAt: now + 5, lastError: '429' })
				).toBe(true);
				expect(await second.calendar.byChannel('ch1')).toEqual({
					...link('p1'),
					syncToken: 'tok1',
					channel,
					failures: 2,
					retryAt: now + 5,
					lastError: '429'
				});
				expect(await second.calendar.update(link('nobody'), { failures: 0 })).toBe(false);
				expect((await second.calendar.allLinks()).map((l) => l.practitionerId)).toEqual(['p1']);
				expect(await second.calendar.linksForClinic('c2')).toEqual([]);
			});

			it('SCHEDULE-GOOGLE-1: the calendar’s name is kept with the link, unknown (null) until given, renamed, replaced on reconnecting', async () => {
				const store = await seeded();
				await store.calendar.connect(link('p1', 'dr@example.com', null));
				expect((await store.calendar.link('c1', 'p1'))?.calendarName).toBeNull();
				expect(await store.calendar.update(link('p1'), { calendarName: 'Muayene · Dr. Ayşe' })).toBe(true);
				expect(await store.calendar.link('c1', 'p1')).toEqual({ ...link('p1'), calendarName: 'Muayene · Dr. Ayşe' });
				await store.calendar.connect(link('p1', 'klinik@group.calendar.google.com', 'Klinik'));
				expect((await store.calendar.linksForClinic('c1')).map((l) => [l.calendarId, l.calendarName])).toEqual([
					['klinik@group.calendar.google.com', 'Klinik']
				]);
			});

			it('SCHEDULE-GOOGLE-14: a write for a connection replaced since (reconnected meanwhile) changes nothing', async () => {
				const store = await seeded();
				const old = link('p1');
				await store.calendar.connect(old);
				const renewed = { ...link('p1', 'klinik@group.calendar.google.com', 'Klinik'), createdAt: now + 1 };
				await store.calendar.connect(renewed);
				const channel = { id: 'old-channel', resourceId: 'r1', tokenHash: 'h', expiresAt: now + 1000 };
				// What a sync of the old calendar, still running, writes at its end: refused, the new link untouched.
				expect(
					await store.calendar.update(old, { syncToken: 'token-of-the-old-calendar', channel, failures: 3, retryAt: now + 60 })
				).toBe(false);
				expect(await store.calendar.link('c1', 'p1')).toEqual(renewed);
				expect(await store.calendar.byChannel('old-channel')).toBeNull();
				expect(await store.calendar.update(renewed, { syncToken: 'tok2' })).toBe(true);
				expect((await store.calendar.link('c1', 'p1'))?.syncToken).toBe('tok2');
				expect(await store.calendar.update(old, {})).toBe(false);
				expect(await store.calendar.update(renewed, {})).toBe(true);
			});

			it('SCHEDULE-GOOGLE-2: the events the book knows; reconnected to another calendar or disconnected, they are forgotten', async () => {
				const store = await seeded();
				await store.calendar.connect(link('p1'));
				await store.calendar.putEvent(event('e1', 'a1', ['2026-11']));
				await store.calendar.putEvent(event('b1', null, ['2026-11', '2026-12']));
				await store.calendar.putEvent({ ...event('e1', 'a1', ['2026-12']), etag: '"2"' });
				expect(await store.calendar.event('c1', 'p1', 'e1')).toEqual({ ...event('e1', 'a1', ['2026-12']), etag: '"2"' });
				expect((await store.calendar.eventsOfAppointment('c1', 'a1')).map((e) => e.eventId)).toEqual(['e1']);
				expect((await store.calendar.eventsOfMonth('c1', '2026-12')).map((e) => e.eventId)).toEqual(['e1']);
				expect((await store.calendar.eventsOfPractitioner('c1', 'p1')).map((e) => e.eventId).sort()).toEqual(['b1', 'e1']);
				await store.calendar.connect(link('p1'));
				expect(await store.calendar.eventsOfPractitioner('c1', 'p1')).toHaveLength(2);
				await store.calendar.connect(link('p1', 'other@example.com'));
				expect(await store.calendar.eventsOfPractitioner('c1', 'p1')).toEqual([]);
				await store.calendar.putEvent(event('e2', 'a2', ['2026-11']));
				await store.calendar.deleteEvent('c1', 'p1', 'e2');
				expect(await store.calendar.event('c1', 'p1', 'e2')).toBeNull();
				await store.calendar.putEvent(event('e3', 'a3', ['2026-11']));
				expect(await store.calendar.disconnect('c1', 'p1')).toBe(true);
				expect(await store.calendar.disconnect('c1', 'p1')).toBe(false);
				expect(await store.calendar.eventsOfPractitioner('c1', 'p1')).toEqual([]);
				expect(await store.calendar.link('c1', 'p1')).toBeNull();
			});
		});
	});
}
