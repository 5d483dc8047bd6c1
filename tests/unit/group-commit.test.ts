import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto/index.ts';
import { openStore } from '../../server/store/index.ts';
import { DocLog } from '../../server/sync/DocLog.ts';
import { GroupCommit, type CommitTarget, type PendingUpdate } from '../../server/sync/GroupCommit.ts';

class FakeRoom implements CommitTarget {
	committedSeqs: number[] = [];
	failedWith: unknown = null;
	constructor(
		readonly clinicId: string,
		readonly name: string
	) {}
	committed(entries: PendingUpdate<this>[]): void {
		this.committedSeqs.push(...entries.map((e) => e.seq));
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

describe('SYNC-STORE-2: group commit', () => {
	it('stores a turn’s updates of several docs in one commit, in order, and reports each doc', async () => {
		const store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), 'fd-commit-')));
		const keyring = new Keyring(randomBytes(32), store);
		await store.insertClinic({ id: 'good', name: 'Good', createdAt: 0 }, keyring.newWrappedKey('good'));
		const commit = new GroupCommit<FakeRoom>(new DocLog(store, keyring), pino({ level: 'silent' }));
		const inbox = new FakeRoom('good', 'good/inbox');
		const contacts = new FakeRoom('good', 'good/contacts');
		// A clinic whose data key is gone (crypto-shredded): its docs fail, the others' commit still lands.
		const shredded = new FakeRoom('gone', 'gone/inbox');
		for (const [room, seq] of [
			[inbox, 1],
			[contacts, 1],
			[shredded, 1],
			[inbox, 2]
		] as const) {
			commit.enqueue({ room, seq, update: update(`${room.name} ${seq}`), origin: null });
		}
		await commit.idle();
		expect(inbox.committedSeqs).toEqual([1, 2]);
		expect(contacts.committedSeqs).toEqual([1]);
		expect(shredded.committedSeqs).toEqual([]);
		expect(String(shredded.failedWith)).toMatch(/no data key/);
		expect(commit.stats.commits).toBe(1);
		expect((await store.loadDocRecords('good/inbox')).map((r) => r.seq)).toEqual([1, 2]);
		expect(await store.loadDocRecords('gone/inbox')).toEqual([]);
		await store.close();
	});
});
