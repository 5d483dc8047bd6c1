import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { MessageType } from '../../src/lib/domain/syncProtocol.ts';

/**
 * Parsing and encoding of y-websocket messages. Parsing is strict: anything that does not decode
 * completely into a known message is a BadMessage, and the caller closes that one socket.
 */
export class BadMessage extends Error {
	override name = 'BadMessage';
}

const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;

export type IncomingMessage =
	| { type: 'sync-step1'; stateVector: Uint8Array }
	| { type: 'sync-update'; update: Uint8Array }
	| { type: 'awareness'; update: Uint8Array }
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
			if (step === SYNC_STEP1) {
				Y.decodeStateVector(payload);
				return { type: 'sync-step1', stateVector: payload };
			}
			if (step === SYNC_STEP2 || step === SYNC_UPDATE) {
				// Decoding the whole update first means a malformed one never reaches the doc.
				Y.decodeUpdate(payload);
				return { type: 'sync-update', update: payload };
			}
			throw new BadMessage(`unknown sync step ${step}`);
		}
		case MessageType.awareness:
			return { type: 'awareness', update: decoding.readVarUint8Array(decoder) };
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

export function encodeSyncStep1(doc: Y.Doc): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.sync);
	encoding.writeVarUint(encoder, SYNC_STEP1);
	encoding.writeVarUint8Array(encoder, Y.encodeStateVector(doc));
	return encoding.toUint8Array(encoder);
}

export function encodeSyncStep2(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.sync);
	encoding.writeVarUint(encoder, SYNC_STEP2);
	encoding.writeVarUint8Array(encoder, Y.encodeStateAsUpdate(doc, stateVector));
	return encoding.toUint8Array(encoder);
}

export function encodeUpdate(update: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.sync);
	encoding.writeVarUint(encoder, SYNC_UPDATE);
	encoding.writeVarUint8Array(encoder, update);
	return encoding.toUint8Array(encoder);
}

export function encodeAwareness(update: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.awareness);
	encoding.writeVarUint8Array(encoder, update);
	return encoding.toUint8Array(encoder);
}
