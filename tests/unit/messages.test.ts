import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { BadMessage, encodeSyncStep1, encodeUpdate, parseMessage } from '../../server/sync/messages.ts';

function updateOf(text: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getText('t').insert(0, text);
	return Y.encodeStateAsUpdate(doc);
}

describe('sync message parsing', () => {
	it('reads what the y-websocket client sends', () => {
		const doc = new Y.Doc();
		expect(parseMessage(encodeSyncStep1(doc))).toMatchObject({ type: 'sync-step1' });
		const update = updateOf('hi');
		expect(parseMessage(encodeUpdate(update))).toEqual({ type: 'sync-update', update, empty: false });
		expect(parseMessage(Uint8Array.of(3))).toEqual({ type: 'query-awareness' });
	});

	it('refuses every truncation of a valid update message', () => {
		const message = encodeUpdate(updateOf('a longer piece of text for truncation'));
		for (let cut = 0; cut < message.length; cut++) {
			expect(() => parseMessage(message.subarray(0, cut)), `cut at ${cut}`).toThrow(BadMessage);
		}
	});

	it('refuses unknown types, unknown sync steps and trailing bytes', () => {
		expect(() => parseMessage(Uint8Array.of(9))).toThrow(/unknown message type/);
		expect(() => parseMessage(Uint8Array.of(0, 7, 0))).toThrow(/unknown sync step/);
		expect(() => parseMessage(Uint8Array.of(...encodeUpdate(updateOf('x')), 0))).toThrow(/trailing/);
	});

	it('refuses an update payload that is not a Yjs update', () => {
		const encoder = encoding.createEncoder();
		encoding.writeVarUint(encoder, 0);
		encoding.writeVarUint(encoder, 2);
		encoding.writeVarUint8Array(encoder, Uint8Array.of(200, 200, 200, 1));
		expect(() => parseMessage(encoding.toUint8Array(encoder))).toThrow(BadMessage);
	});

	it('survives a seeded stream of random bytes without throwing anything but BadMessage', () => {
		let seed = 42;
		const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
		for (let i = 0; i < 5000; i++) {
			const bytes = Uint8Array.from({ length: 1 + (i % 64) }, next);
			try {
				parseMessage(bytes);
			} catch (error) {
				expect(error).toBeInstanceOf(BadMessage);
			}
		}
	});
});
