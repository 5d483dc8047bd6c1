import Database from 'better-sqlite3';
import path from 'node:path';
import type * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundItem } from '../../server/channels/inboundItem.ts';
import { InboundJournal } from '../../server/channels/journal.ts';
import { metaSignature } from '../../server/channels/meta/signature.ts';
import { Keyring } from '../../server/crypto/index.ts';
import { SqliteStore } from '../../server/store/sqlite/SqliteStore.ts';
import { listThreadSummaries } from '../../src/lib/domain/inbox.ts';
import { readEntries } from '../../src/lib/domain/thread.ts';
import { startClinicServer, type ClinicServer } from '../helpers/clinic.ts';
import { connectProvider, whenDoc, whenSynced, withTimeout } from '../helpers/client.ts';
import {
	META_SECRET,
	PHONE_NUMBER_ID,
	WA_TOKEN,
	metaEnv,
	metaJson,
	postMeta,
	whatsappMessages,
	FakeMeta
} from '../helpers/fakeMeta.ts';
import { ServerProcess, admin } from '../helpers/server.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const undo of cleanup.splice(0).reverse()) await undo();
});

const WA_ID = '905321234567';

async function setup(): Promise<ClinicServer> {
	const fake = await FakeMeta.start();
	cleanup.push(() => fake.close());
	const s = await startClinicServer('reception', metaEnv(fake));
	cleanup.push(() => s.server.stop('SIGKILL'));
	const wa = await admin(s.env, ['connect-whatsapp', '--clinic', s.clinic, '--phone-number-id', PHONE_NUMBER_ID], WA_TOKEN);
	expect(wa.code, wa.stderr).toBe(0);
	return s;
}

async function deliver(s: ClinicServer, messages: { id: string; body: string }[]): Promise<number> {
	const raw = metaJson(
		whatsappMessages(
			PHONE_NUMBER_ID,
			{ waId: WA_ID },
			messages.map((m) => ({ id: m.id, type: 'text', text: { body: m.body } }))
		)
	);
	return (await postMeta(s.server.url, raw, metaSignature(raw, META_SECRET))).status;
}

async function docWhen(s: ClinicServer, docName: string, ready: (doc: Y.Doc) => boolean, what: string): Promise<Y.Doc> {
	const provider = connectProvider(s.server.wsUrl, docName, { cookie: s.cookie, origin: s.server.url });
	cleanup.push(async () => provider.destroy());
	await withTimeout(whenSynced(provider), 5000, `sync ${docName}`);
	await withTimeout(whenDoc(provider.doc, ready), 10_000, what);
	return provider.doc;
}

function journalRows(s: ClinicServer): { messageId: string; failed: boolean }[] {
	const db = new Database(path.join(s.env.DATA_DIR, 'frontdesk.db'), { readonly: true, fileMustExist: true });
	try {
		return (
			db.prepare('SELECT message_id, failed_at FROM inbound_journal ORDER BY seq').all() as {
				message_id: string;
				failed_at: number | null;
			}[]
		).map((r) => ({ messageId: r.message_id, failed: r.failed_at !== null }));
	} finally {
		db.close();
	}
}

/** A WhatsApp text as the Meta webhook journals it. */
function textItem(clinicId: string, messageId: string, text: string): InboundItem {
	const at = new Date().toISOString();
	return {
		clinicId,
		channel: 'whatsapp',
		provider: 'whatsapp',
		messageId,
		at,
		contact: { identity: { channel: 'whatsapp', id: WA_ID }, phone: `+${WA_ID}` },
		preview: text,
		entry: { kind: 'message', input: { channel: 'whatsapp', at, text, messageType: 'text', providerMessageId: messageId } }
	};
}

/**
 * Journals items into the stopped server's store as its webhook would (same module, same key), as if it had
 * answered 200 for them and died before writing them into the docs.
 */
async function journalWhileStopped(s: ClinicServer, items: InboundItem[]): Promise<{ duplicate: boolean }[]> {
	const store = new SqliteStore(path.join(s.env.DATA_DIR, 'frontdesk.db'));
	try {
		const journal = new InboundJournal(store, new Keyring(Buffer.from(s.env.APP_MASTER_KEY, 'base64'), store.clinics), () => {});
		return await Promise.all(items.map((item) => journal.record(item)));
	} finally {
		await store.close();
	}
}

describe('CHAN-JOURNAL-1: a webhook answers once its events are journaled; the docs are written right after', () => {
	it('a burst of 120 messages in 40 concurrent webhooks: every one answered 200, then every one in the thread, counted once', async () => {
		const s = await setup();
		const statuses = await Promise.all(
			Array.from({ length: 40 }, (_, w) =>
				deliver(
					s,
					Array.from({ length: 3 }, (_, k) => ({ id: `wamid.burst.${w}.${k}`, body: `Mesaj ${w}-${k}` }))
				)
			)
		);
		expect(statuses).toEqual(Array(40).fill(200));
		const inbox = await docWhen(s, `${s.clinic}/inbox`, (d) => listThreadSummaries(d)[0]?.inboundCount === 120, '120 counted');
		const [summary] = listThreadSummaries(inbox);
		const thread = await docWhen(s, `${s.clinic}/thread/${summary.id}`, (d) => readEntries(d).length === 120, '120 entries');
		expect(new Set(readEntries(thread).map((e) => e.providerMessageId)).size).toBe(120);
		expect(listThreadSummaries(inbox)).toHaveLength(1);
		expect(journalRows(s)).toEqual([]);
	});
});

describe('CHAN-JOURNAL-2, -3: what was journaled before a crash is written after the restart, once', () => {
	it('replays journaled events; one the inbox had counted is not counted again; a duplicate id is not journaled', async () => {
		const s = await setup();
		expect(await deliver(s, [{ id: 'wamid.first', body: 'İlk mesaj' }])).toBe(200);
		const before = await docWhen(s, `${s.clinic}/inbox`, (d) => listThreadSummaries(d)[0]?.inboundCount === 1, 'first counted');
		const threadId = listThreadSummaries(before)[0].id;
		await s.server.stop('SIGKILL');

		const results = await journalWhileStopped(s, [
			textItem(s.clinic, 'wamid.first', 'İlk mesaj'),
			textItem(s.clinic, 'wamid.fresh', 'Yeni mesaj'),
			textItem(s.clinic, 'wamid.counted', 'Sayılmış mesaj')
		]);
		expect(results).toEqual([{ duplicate: true }, { duplicate: false }, { duplicate: false }]);
		// As if the server had died after the inbox counted wamid.counted and before the thread was written.
		const db = new Database(path.join(s.env.DATA_DIR, 'frontdesk.db'));
		const contactId = listThreadSummaries(before)[0].contactId;
		db.prepare("UPDATE inbound_journal SET thread_id = ?, contact_id = ? WHERE message_id = 'wamid.counted'").run(
			threadId,
			contactId
		);
		db.close();

		s.server = await ServerProcess.start(s.env, s.server.port);
		const thread = await docWhen(s, `${s.clinic}/thread/${threadId}`, (d) => readEntries(d).length === 3, 'three entries');
		expect(readEntries(thread).map((e) => [e.providerMessageId, e.text])).toEqual([
			['wamid.first', 'İlk mesaj'],
			['wamid.fresh', 'Yeni mesaj'],
			['wamid.counted', 'Sayılmış mesaj']
		]);
		const inbox = await docWhen(s, `${s.clinic}/inbox`, (d) => listThreadSummaries(d)[0]?.inboundCount === 2, 'fresh counted');
		// wamid.counted was counted before the crash (here: by the test's hand), so not again.
		expect(listThreadSummaries(inbox)[0].inboundCount).toBe(2);
		expect(journalRows(s)).toEqual([]);
		// Meta retries each of them: answered 200, nothing new.
		expect(
			await deliver(s, [
				{ id: 'wamid.fresh', body: 'Yeni mesaj' },
				{ id: 'wamid.counted', body: 'Sayılmış mesaj' }
			])
		).toBe(200);
		expect(journalRows(s)).toEqual([]);
		expect(readEntries(thread)).toHaveLength(3);
	});

	it('an event the domain refuses stays in the journal marked failed, is not retried, and holds up nothing else', async () => {
		const s = await setup();
		await s.server.stop('SIGKILL');
		const refused = textItem(s.clinic, 'wamid.refused', 'x');
		// Past the domain's bound on a message's text: the webhook cuts text, so only a hand-made row can hold this.
		if (refused.entry.kind === 'message') refused.entry.input.text = 'x'.repeat(10_000);
		await journalWhileStopped(s, [refused, textItem(s.clinic, 'wamid.fine', 'Merhaba')]);
		s.server = await ServerProcess.start(s.env, s.server.port);
		const inbox = await docWhen(s, `${s.clinic}/inbox`, (d) => listThreadSummaries(d).length === 1, 'a thread');
		const thread = await docWhen(
			s,
			`${s.clinic}/thread/${listThreadSummaries(inbox)[0].id}`,
			(d) => readEntries(d).length === 1,
			'the fine one'
		);
		expect(readEntries(thread).map((e) => e.providerMessageId)).toEqual(['wamid.fine']);
		expect(listThreadSummaries(inbox)[0].inboundCount).toBe(1);
		expect(journalRows(s)).toEqual([{ messageId: 'wamid.refused', failed: true }]);
		await withTimeout(
			s.server.logged((l) => l.includes('inbound event refused')),
			5000,
			'the refusal logged'
		);
		expect(s.server.logs.filter((l) => l.includes('inbound event refused')).every((l) => !l.includes('xxxxxxxx'))).toBe(true);
		// Still there after another restart, still failed, not written.
		await s.server.stop('SIGTERM');
		s.server = await ServerProcess.start(s.env, s.server.port);
		expect(journalRows(s)).toEqual([{ messageId: 'wamid.refused', failed: true }]);
	});
});

describe('CHAN-JOURNAL-4: while webhooks keep arriving, the docs are still written', () => {
	it('a message reaches its thread while a stream of webhooks goes on, and every one of them after it stops', async () => {
		const s = await setup();
		const inbox = await docWhen(s, `${s.clinic}/inbox`, () => true, 'the inbox');
		let stop = false;
		let sent = 0;
		const statuses: number[] = [];
		// Four senders, each posting the next webhook as soon as the last was answered: never a pause of 50 ms.
		const senders = Array.from({ length: 4 }, async () => {
			while (!stop) {
				const n = sent++;
				statuses.push(await deliver(s, [{ id: `wamid.stream.${n}`, body: `Mesaj ${n}` }]));
			}
		});
		await withTimeout(
			whenDoc(inbox, (d) => (listThreadSummaries(d)[0]?.inboundCount ?? 0) > 0),
			20_000,
			'a message of the stream in the inbox while it goes on'
		);
		const answeredWhenWritten = statuses.length;
		stop = true;
		await Promise.all(senders);
		expect(statuses.every((status) => status === 200)).toBe(true);
		// The stream went on after the first write: the senders were never stopped to let the docs catch up.
		expect(statuses.length).toBeGreaterThan(answeredWhenWritten);
		await withTimeout(
			whenDoc(inbox, (d) => listThreadSummaries(d)[0]?.inboundCount === sent),
			20_000,
			`all ${sent} counted`
		);
		expect(journalRows(s)).toEqual([]);
	});
});
