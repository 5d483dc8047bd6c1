import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { splitUpdate } from '../../src/lib/sync/splitUpdate.ts';

/** A seeded generator, so a failure names the doc that caused it. */
function rng(seed: number) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Three devices editing text, a map of maps and an array, syncing now and then: structs refer across clients. */
function busyDocs(seed: number): { server: Y.Doc; device: Y.Doc } {
	const random = rng(seed);
	const devices = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
	const server = new Y.Doc();
	const syncAll = (docs: Y.Doc[]) => {
		for (const a of docs) for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
	};
	for (let round = 0; round < 60; round++) {
		for (const d of devices) {
			const text = d.getText('note');
			const at = Math.floor(random() * (text.length + 1));
			if (random() < 0.2 && text.length > 5) text.delete(Math.floor(random() * (text.length - 3)), 3);
			else text.insert(at, `w${round}-${Math.floor(random() * 1000)} `);
			const appointments = d.getMap<Y.Map<unknown>>('appointments');
			if (random() < 0.5) {
				const entry = new Y.Map<unknown>();
				entry.set('patient', `P${round}`);
				appointments.set(`a${round}-${d.clientID % 7}`, entry);
			} else {
				const keys = [...appointments.keys()];
				if (keys.length > 0) appointments.get(keys[Math.floor(random() * keys.length)])?.set('status', `s${round}`);
			}
			d.getArray<number>('log').push([round]);
		}
		if (random() < 0.4) syncAll(devices);
		// The server saw the first part of the history only: the device then brings the rest.
		if (round === 20) syncAll([...devices, server]);
	}
	syncAll(devices);
	return { server, device: devices[0] };
}

describe('SYNC-SPLIT-1: a device splits what it sends below the message limit, in an order the server applies as it arrives', () => {
	for (const seed of [1, 2, 3, 4, 5]) {
		it(`seed ${seed}: every chunk fits, none leaves anything pending, the result equals the device's doc`, () => {
			const { server, device } = busyDocs(seed);
			const diff = Y.encodeStateAsUpdate(device, Y.encodeStateVector(server));
			const limit = 2048;
			const chunks = splitUpdate(diff, limit);
			expect(diff.length).toBeGreaterThan(limit);
			expect(chunks.length).toBeGreaterThan(1);
			for (const chunk of chunks) {
				expect(chunk.length).toBeLessThanOrEqual(limit);
				Y.applyUpdate(server, chunk);
				expect(server.store.pendingStructs).toBeNull();
				expect(server.store.pendingDs).toBeNull();
			}
			expect(server.getText('note').toString()).toBe(device.getText('note').toString());
			expect(server.getMap('appointments').toJSON()).toEqual(device.getMap('appointments').toJSON());
			expect(server.getArray('log').toJSON()).toEqual(device.getArray('log').toJSON());
			expect(Y.encodeStateVector(server)).toEqual(Y.encodeStateVector(device));
		});
	}

	it('passes a small update through as it is', () => {
		const doc = new Y.Doc();
		doc.getText('t').insert(0, 'hello');
		const update = Y.encodeStateAsUpdate(doc);
		expect(splitUpdate(update, 1024)).toEqual([update]);
	});

	it('cuts one large item (consecutive pushes merge into one) and never between the halves of a surrogate pair', () => {
		const doc = new Y.Doc();
		for (let i = 0; i < 300; i++) doc.getArray('messages').push([{ n: i, text: `${i}`.padEnd(1000, '.') }]);
		doc.getText('t').insert(0, 'ab😀'.repeat(20_000));
		const update = Y.encodeStateAsUpdate(doc);
		const limit = 16 * 1024;
		const chunks = splitUpdate(update, limit);
		const copy = new Y.Doc();
		for (const chunk of chunks) {
			expect(chunk.length).toBeLessThanOrEqual(limit);
			Y.applyUpdate(copy, chunk);
			expect(copy.store.pendingStructs).toBeNull();
		}
		expect(copy.getText('t').toString()).toBe(doc.getText('t').toString());
		expect(copy.getArray('messages').toJSON()).toEqual(doc.getArray('messages').toJSON());
	});

	it('sends an element larger than the limit alone', () => {
		const doc = new Y.Doc();
		doc.getMap('m').set('photo', new Uint8Array(5000));
		doc.getText('t').insert(0, 'small');
		const chunks = splitUpdate(Y.encodeStateAsUpdate(doc), 2048);
		const copy = new Y.Doc();
		for (const chunk of chunks) Y.applyUpdate(copy, chunk);
		expect(copy.getText('t').toString()).toBe(doc.getText('t').toString());
		expect(copy.getMap('m').get('photo')).toEqual(new Uint8Array(5000));
	});
});
