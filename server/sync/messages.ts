import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { MessageType, SyncStep } from '../../src/lib/domain/syncProtocol.ts';

/**
 * Parsing and encoding of y-websocket messages. Parsing is strict: anything that does not decode
 * completely into a known message is a BadMessage, and the caller closes that one socket.
 */
export class BadMessage extends Error {
	override name = 'BadMessage';
}

/** One client's presence in an awareness message: `state` is its JSON text (`null` when it left). */
export interface AwarenessEntry {
	clientId: number;
	clock: number;
	state: string;
}

export type IncomingMessage =
	| { type: 'sync-step1'; stateVector: Uint8Array }
	/** `empty`: no structs and no deletions (what a client with nothing new answers in step 2). */
	| { type: 'sync-update'; update: Uint8Array; empty: boolean }
	| { type: 'awareness'; entries: AwarenessEntry[] }
	| { type: 'query-awareness' }
	| { type: 'auth' };

export function parseMessage(data: Uint8Array): IncomingMessage {
	try {
		const decoder = decoding.createDecoder(data);
		const message = readMessage(decoder);
		if (decoding.hasContent(decoder)) throw new BadMessage('trailing bytes after message');
		return message;
	} catch (error) {
		if (error instanceof BadMessage) throw error;
		throw new BadMessage(error instanceof Error ? error.message : 'undecodable message');
	}
}

function readMessage(decoder: decoding.Decoder): IncomingMessage {
	const type = decoding.readVarUint(decoder);
	switch (type) {
		case MessageType.sync: {
			const step = decoding.readVarUint(decoder);
			const payload = decoding.readVarUint8Array(decoder);
			if (step === SyncStep.step1) {
				Y.decodeStateVector(payload);
				return { type: 'sync-step1', stateVector: payload };
			}
			if (step === SyncStep.step2 || step === SyncStep.update) {
				// Decoding the whole update first means a malformed one never reaches the doc.
				const { structs, ds } = Y.decodeUpdate(payload);
				return { type: 'sync-update', update: payload, empty: structs.length === 0 && ds.clients.size === 0 };
			}
			throw new BadMessage(`unknown sync step ${step}`);
		}
		case MessageType.awareness:
			return { type: 'awareness', entries: readAwarenessEntries(decoding.readVarUint8Array(decoder)) };
		case MessageType.queryAwareness:
			return { type: 'query-awareness' };
		case MessageType.auth:
			decoding.readVarUint(decoder);
			if (decoding.hasContent(decoder)) decoding.readVarString(decoder);
			return { type: 'auth' };
		default:
			throw new BadMessage(`unknown message type ${type}`);
	}
}

/** y-protocols' awareness update: a count, then client id, clock and JSON state per client; read strictly. */
function readAwarenessEntries(update: Uint8Array): AwarenessEntry[] {
	const decoder = decoding.createDecoder(update);
	const count = decoding.readVarUint(decoder);
	// Each entry takes at least three bytes: a count past that is a lie, refused before anything is allocated.
	if (count > update.length) throw new BadMessage('awareness entry count exceeds the message');
	const entries: AwarenessEntry[] = [];
	for (let i = 0; i < count; i++) {
		const clientId = decoding.readVarUint(decoder);
		const clock = decoding.readVarUint(decoder);
		const state = decoding.readVarString(decoder);
		try {
			JSON.parse(state);
		} catch {
			throw new BadMessage('awareness state is not JSON');
		}
		entries.push({ clientId, clock, state });
	}
	if (decoding.hasContent(decoder)) throw new BadMessage('trailing bytes after awareness entries');
	return entries;
}

/** The awareness update y-protocols applies, from entries already checked. */
export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, entries.length);
	for (const e of entries) {
		encoding.writeVarUint(encoder, e.clientId);
		encoding.writeVarUint(encoder, e.clock);
		encoding.writeVarString(encoder, e.state);
	}
	return encoding.toUint8Array(encoder);
}

export function encodeSyncStep1(doc: Y.Doc): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.sync);
	encoding.writeVarUint(encoder, SyncStep.step1);
	encoding.writeVarUint8Array(encoder, Y.encodeStateVector(doc));
	return encoding.toUint8Array(encoder);
}

export function encodeSyncStep2(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.sync);
	encoding.writeVarUint(encoder, SyncStep.step2);
	encoding.writeVarUint8Array(encoder, Y.encodeStateAsUpdate(doc, stateVector));
	return encoding.toUint8Array(encoder);
}

export function encodeUpdate(update: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.sync);
	encoding.writeVarUint(encoder, SyncStep.update);
	encoding.writeVarUint8Array(encoder, update);
	return encoding.toUint8Array(encoder);
}

export function encodeAwareness(update: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.awareness);
	encoding.writeVarUint8Array(encoder, update);
	return encoding.toUint8Array(encoder);
}
