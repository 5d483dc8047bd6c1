import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Accounts, Sessions, SyncTickets } from '../../server/auth/index.ts';
import { InboxAutomation, type InboundNotice } from '../../server/automation/inboxAutomation.ts';
import { openStoreAndKeys } from '../../server/boot.ts';
import { loadConfig } from '../../server/config/index.ts';
import { createMetrics } from '../../server/metrics.ts';
import type { Store } from '../../server/store/index.ts';
import { SyncServer } from '../../server/sync/index.ts';
import { changeClinicProfile, setBusinessHours } from '../../src/lib/domain/clinicSettings.ts';
import { createContact } from '../../src/lib/domain/contacts.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import { assignThread, openThread, readThreadSummary, recordActivity, setThreadStatus } from '../../src/lib/domain/inbox.ts';
import { changeInboxRules, setOnDuty } from '../../src/lib/domain/inboxRules.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { appendInbound, queuedReplies, readEntries } from '../../src/lib/domain/thread.ts';
import { testEnv } from '../helpers/server.ts';

// Auto-assignment and the away message (issue #9) against a real sync server and SQLite store: INBOX-AUTO-*.
const CHANNEL: TransactionOrigin = { source: 'channel', provider: 'whatsapp' };
const ADMIN: TransactionOrigin = { source: 'job', name: 'test-admin' };

interface Clinic {
	sync: SyncServer;
	store: Store;
	clinicId: string;
	staff: string[];
	automation: InboxAutomation;
	queued: string[];
	close(): Promise<void>;
}

const open: Clinic[] = [];
afterEach(async () => {
	for (const c of open.splice(0)) await c.close();
});

async function clinic(staffCount: number): Promise<Clinic> {
	const config = loadConfig(testEnv());
	const { store, keyring } = await openStoreAndKeys(config);
	const accounts = new Accounts(store, keyring);
	const { id: clinicId } = await accounts.createClinic({ name: 'Automation' });
	const staff: string[] = [];
	for (let i = 0; i < staffCount; i++) {
		const user = await accounts.createUser({
			clinicId,
			email: `staff${i}-${process.hrtime.bigint()}@example.com`,
			name: `Staff ${i}`,
			role: 'reception',
			password: 'a long enough password'
		});
		staff.push(user.id);
	}
	const queued: string[] = [];
	// The automation is also a hook: a change of the directory makes it read the rules again.
	const automation: InboxAutomation = new InboxAutomation({
		docs: { read: (name, view) => sync.read(name, view), write: (name, origin, edit) => sync.write(name, origin, edit) },
		store,
		logger: pino({ level: 'silent' }),
		onQueued: (doc) => queued.push(doc)
	});
	const sync: SyncServer = new SyncServer({
		store,
		keyring,
		sessions: new Sessions(store),
		tickets: new SyncTickets(store),
		logger: pino({ level: 'silent' }),
		metrics: createMetrics(),
		origins: [],
		limits: config.sync,
		sessionRecheckMs: 60_000,
		compactAfterUpdates: 500,
		hooks: [automation]
	});
	const c: Clinic = {
		sync,
		store,
		clinicId,
		staff,
		automation,
		queued,
		async close() {
			await sync.close();
			await store.close();
		}
	};
	open.push(c);
	return c;
}

/** A message arrives as the channels' ingest writes it; returns what the ingest would report. */
async function arrive(c: Clinic, at: string, threadId?: string): Promise<InboundNotice> {
	let contactId = '';
	await c.sync.write(docNames.contacts(c.clinicId), CHANNEL, (doc) => {
		contactId = createContact(doc, { phones: ['05321234567'] });
	});
	let id = threadId ?? '';
	await c.sync.write(docNames.inbox(c.clinicId), CHANNEL, (doc) => {
		if (!id) id = openThread(doc, { contactId, channel: 'whatsapp', at });
		recordActivity(doc, id, { at, preview: 'Merhaba', direction: 'in' });
	});
	await c.sync.write(docNames.thread(c.clinicId, id), CHANNEL, (doc) =>
		appendInbound(doc, { channel: 'whatsapp', at, text: 'Merhaba', messageType: 'text', providerMessageId: `wamid.${at}.${id}` })
	);
	return { clinicId: c.clinicId, threadId: id, contactId, channel: 'whatsapp', newThread: !threadId, at };
}

const setRules = (c: Clinic, edit: Parameters<typeof changeInboxRules>[1]) =>
	c.sync.write(docNames.directory(c.clinicId), ADMIN, (doc) => {
		changeClinicProfile(doc, { timeZone: 'Europe/Istanbul' });
		setBusinessHours(doc, 'thu', { open: true, intervals: [{ from: '09:00', to: '18:00' }] });
		changeInboxRules(doc, edit);
	});

const onDuty = (c: Clinic, users: string[]) =>
	c.sync.write(docNames.inbox(c.clinicId), ADMIN, (doc) => users.forEach((u) => setOnDuty(doc, u, true)));

const summaryOf = (c: Clinic, threadId: string) =>
	c.sync.read(docNames.inbox(c.clinicId), (doc) => readThreadSummary(doc, threadId));

// Thursday 2026-11-26, Istanbul: 07:00 UTC is 10:00 (open), 20:00 UTC is 23:00 (closed).
const OPEN_HOURS = '2026-11-26T07:00:00.000Z';
const AFTER_HOURS = '2026-11-26T20:00:00.000Z';

describe('INBOX-AUTO-1: new conversations go round-robin to staff on duty, under a cap', () => {
	it('takes turns, skips whoever is at the cap or off duty, and records the assignment in the thread', async () => {
		const c = await clinic(3);
		const [a, b, off] = [...c.staff].sort();
		await setRules(c, { autoAssign: true, capPerPerson: 2 });
		await onDuty(c, [a, b]);
		const assignees: (string | null)[] = [];
		const threads: string[] = [];
		for (let i = 0; i < 5; i++) {
			const notice = await arrive(c, OPEN_HOURS);
			await c.automation.onInbound(notice);
			threads.push(notice.threadId);
			assignees.push((await summaryOf(c, notice.threadId))!.assigneeId);
		}
		// Two each, then both are at the cap of 2 open threads: the fifth waits unassigned.
		expect(assignees).toEqual([a, b, a, b, null]);
		expect(assignees).not.toContain(off);
		const eventsOf = (threadId: string) =>
			c.sync.read(docNames.thread(c.clinicId, threadId), (doc) =>
				readEntries(doc)
					.filter((e) => e.kind === 'event')
					.map((e) => e.details)
			);
		expect(await eventsOf(threads[0])).toEqual([{ type: 'autoAssigned', assigneeId: a }]);
		expect(await eventsOf(threads[4])).toEqual([]);
	});

	it('never reassigns a thread someone already holds, nor one that is closed', async () => {
		const c = await clinic(2);
		const [a, b] = [...c.staff].sort();
		await setRules(c, { autoAssign: true });
		await onDuty(c, [a]);
		const held = await arrive(c, OPEN_HOURS);
		await c.sync.write(docNames.inbox(c.clinicId), ADMIN, (doc) => assignThread(doc, held.threadId, b));
		await c.automation.onInbound(held);
		expect((await summaryOf(c, held.threadId))!.assigneeId).toBe(b);
		const closed = await arrive(c, OPEN_HOURS);
		await c.sync.write(docNames.inbox(c.clinicId), ADMIN, (doc) => setThreadStatus(doc, closed.threadId, 'closed'));
		await c.automation.onInbound(closed);
		expect((await summaryOf(c, closed.threadId))!.assigneeId).toBeNull();
	});

	it('two messages at once never give the same turn twice', async () => {
		const c = await clinic(2);
		const [a, b] = [...c.staff].sort();
		await setRules(c, { autoAssign: true, capPerPerson: 10 });
		await onDuty(c, [a, b]);
		const notices = [await arrive(c, OPEN_HOURS), await arrive(c, OPEN_HOURS)];
		await Promise.all(notices.map((n) => c.automation.onInbound(n)));
		const got = await Promise.all(notices.map(async (n) => (await summaryOf(c, n.threadId))!.assigneeId));
		expect(got.sort()).toEqual([a, b]);
	});
});

describe('INBOX-AUTO-2: outside business hours the away message is queued once per conversation', () => {
	it('queues it after hours only, once until the thread is closed, for the dispatcher to send', async () => {
		const c = await clinic(1);
		await setRules(c, { awayMessage: true, awayText: 'Mesai dışındayız; yarın 09:00’da döneceğiz.' });
		const day = await arrive(c, OPEN_HOURS);
		await c.automation.onInbound(day);
		const queuedIn = (threadId: string) => c.sync.read(docNames.thread(c.clinicId, threadId), (doc) => queuedReplies(doc));
		expect(await queuedIn(day.threadId)).toEqual([]);

		const night = await arrive(c, AFTER_HOURS);
		await c.automation.onInbound(night);
		const again = await arrive(c, AFTER_HOURS.replace('20:00', '20:05'), night.threadId);
		await c.automation.onInbound(again);
		const away = await queuedIn(night.threadId);
		expect(away.map((e) => [e.text, e.authorId, e.channel])).toEqual([
			['Mesai dışındayız; yarın 09:00’da döneceğiz.', 'automation', 'whatsapp']
		]);
		expect(c.queued).toEqual([docNames.thread(c.clinicId, night.threadId)]);

		// A closed conversation that starts again gets it again.
		await c.sync.write(docNames.inbox(c.clinicId), ADMIN, (doc) => setThreadStatus(doc, night.threadId, 'closed'));
		await c.automation.onInbound(await arrive(c, AFTER_HOURS.replace('20:00', '21:00'), night.threadId));
		expect(await queuedIn(night.threadId)).toHaveLength(2);
	});

	it('sends nothing when the rule is off, and follows the rule as soon as an admin changes it', async () => {
		const c = await clinic(1);
		await setRules(c, { awayMessage: false });
		const night = await arrive(c, AFTER_HOURS);
		await c.automation.onInbound(night);
		const queuedIn = (threadId: string) => c.sync.read(docNames.thread(c.clinicId, threadId), (doc) => queuedReplies(doc));
		expect(await queuedIn(night.threadId)).toEqual([]);
		await setRules(c, { awayMessage: true, awayText: 'Kapalıyız.' });
		const later = await arrive(c, AFTER_HOURS.replace('20:00', '20:30'));
		await c.automation.onInbound(later);
		expect((await queuedIn(later.threadId)).map((e) => e.text)).toEqual(['Kapalıyız.']);
	});
});
