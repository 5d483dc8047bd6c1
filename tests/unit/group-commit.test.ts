import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { Keyring } from '../../server/crypto/index.ts';
import { openStore, type Store } from '../../server/store/index.ts';
import { DocLog } from '../../server/sync/DocLog.ts';
import { GroupCommit, type CommitTarget, type PendingUpdate, type StoredRecord } from '../../server/sync/GroupCommit.ts';
import type { SyncHooks } from '../../server/sync/hooks.ts';
import { updateWriters } from '../../server/sync/updateWriters.ts';

class FakeRoom implements CommitTarget {
	committedSeqs: number[] = [];
	failedWith: unknown = null;
	constructor(
		readonly clinicId: string,
		readonly name: string
	) {}
	committedUpdates = 0;
	committed(entries: PendingUpdate<this>[], record: StoredRecord): void {
		this.committedSeqs.push(record.seq);
		this.committedUpdates += entries.length;
	}
	failed(error: unknown): void {
		this.failedWith = error;
	}
	applyIncoming(): void {}
}

function update(text: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getText('t').insert(0, text);
	return Y.encodeStateAsUpdate(doc);
}

const JOB: TransactionOrigin = { source: 'job', name: 'test' };
const DEVICE: TransactionOrigin = { source: 'connection', userId: 'u1', sessionId: 's1' };

let store: Store;
afterEach(async () => {
	await store.close();
});

/** A store with clinic `good` and a GroupCommit over it that keeps writers, plus `hooks`. */
async function setup(...hooks: SyncHooks[]) {
	store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), 'fd-commit-')));
	const keyring = new Keyring(randomBytes(32), store.clinics);
	await store.clinics.insert({ id: 'good', name: 'Good', createdAt: 0 }, keyring.newWrappedKey('good'));
	const commit = new GroupCommit<FakeRoom>(new DocLog(store, keyring), pino({ level: 'silent' }), [updateWriters, ...hooks]);
	return { keyring, commit };
}

describe('SYNC-STORE-2: group commit', () => {
	it('stores a turn’s updates of several docs in one commit, in order, and reports each doc', async () => {
		const { commit } = await setup();
		const inbox = new FakeRoom('good', 'good/inbox');
		const contacts = new FakeRoom('good', 'good/contacts');
		// A clinic whose data key is gone (crypto-shredded): its docs fail, the others' commit still lands.
		const shredded = new FakeRoom('gone', 'gone/inbox');
		for (const room of [inbox, contacts, shredded, inbox]) commit.enqueue({ room, update: update(room.name), origin: JOB });
		await commit.idle();
		// One record per doc and commit: the inbox's two updates are stored (and relayed) as one.
		expect(inbox.committedSeqs).toEqual([1]);
		expect(inbox.committedUpdates).toBe(2);
		expect(contacts.committedSeqs).toEqual([1]);
		expect(shredded.committedSeqs).toEqual([]);
		expect(String(shredded.failedWith)).toMatch(/no data key/);
		expect(commit.stats.commits).toBe(1);
		expect((await store.docs.load('good/inbox')).map((r) => r.seq)).toEqual([1]);
		expect(await store.docs.load('gone/inbox')).toEqual([]);
	});
});

describe('SYNC-STORE-5: one doc’s failed append fails that doc alone', () => {
	it('a doc the store refuses is failed; the others of the same commit are stored and reported', async () => {
		const { keyring, commit } = await setup();
		// Its key is known, but the clinic row is missing: the store refuses its records (foreign key).
		keyring.newWrappedKey('ghost');
		const inbox = new FakeRoom('good', 'good/inbox');
		const ghost = new FakeRoom('ghost', 'ghost/inbox');
		const contacts = new FakeRoom('good', 'good/contacts');
		for (const room of [inbox, ghost, contacts, ghost, inbox]) commit.enqueue({ room, update: update(room.name), origin: JOB });
		await commit.idle();
		expect(commit.stats).toEqual({ commits: 1, updates: 3 });
		expect(inbox.committedSeqs).toEqual([1]);
		expect(inbox.committedUpdates).toBe(2);
		expect(contacts.committedSeqs).toEqual([1]);
		expect(inbox.failedWith).toBeNull();
		expect(String(ghost.failedWith)).toMatch(/FOREIGN KEY/);
		expect(ghost.committedSeqs).toEqual([]);
		expect(await store.docs.load('ghost/inbox')).toEqual([]);
		expect((await store.docs.load('good/contacts')).map((r) => r.seq)).toEqual([1]);
	});
});

describe('SYNC-STORE-6: side rows share their update’s transaction', () => {
	it('keeps who wrote each stored update: a device and a server job', async () => {
		const { commit } = await setup();
		const inbox = new FakeRoom('good', 'good/inbox');
		commit.enqueue({ room: inbox, update: update('from a device'), origin: DEVICE });
		commit.enqueue({ room: inbox, update: update('from a job'), origin: JOB });
		await commit.idle();
		// Both went into one record, which names both writers, once each.
		commit.enqueue({ room: inbox, update: update('the device again'), origin: DEVICE });
		await commit.idle();
		expect(await store.docs.writers('good/inbox')).toEqual([
			{ seq: 1, source: 'connection', userId: 'u1', sessionId: 's1' },
			{ seq: 1, source: 'job', userId: null, sessionId: null },
			{ seq: 2, source: 'connection', userId: 'u1', sessionId: 's1' }
		]);
	});

	it('a doc whose rows cannot be written stores neither its updates nor its rows; the other doc is unharmed', async () => {
		const duplicate: SyncHooks = {
			// A writer row the store's rules refuse (an unknown source), as it would a duplicate message id.
			rowsFor: ({ docName }) =>
				docName === 'good/contacts' ? [{ kind: 'writer', source: 'bogus' as 'job', userId: null, sessionId: null }] : []
		};
		const throwing: SyncHooks = {
			rowsFor: ({ docName }) => {
				if (docName === 'good/notes') throw new Error('hook failed');
				return [];
			}
		};
		const { commit } = await setup(duplicate, throwing);
		const inbox = new FakeRoom('good', 'good/inbox');
		const contacts = new FakeRoom('good', 'good/contacts');
		const notes = new FakeRoom('good', 'good/notes');
		for (const room of [inbox, contacts, notes]) commit.enqueue({ room, update: update(room.name), origin: DEVICE });
		await commit.idle();
		expect(inbox.committedSeqs).toEqual([1]);
		expect(String(contacts.failedWith)).toMatch(/unknown writer source/);
		expect(String(notes.failedWith)).toMatch(/hook failed/);
		for (const doc of ['good/contacts', 'good/notes']) {
			expect(await store.docs.load(doc)).toEqual([]);
			expect(await store.docs.writers(doc)).toEqual([]);
		}
		expect(await store.docs.writers('good/inbox')).toEqual([{ seq: 1, source: 'connection', userId: 'u1', sessionId: 's1' }]);
	});
});
