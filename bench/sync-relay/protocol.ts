import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/**
 * The few y-websocket messages a light client needs, encoded by hand (no provider, no awareness)
 * so that the client's own cost per message stays as small as the protocol allows.
 */
const MESSAGE_SYNC = 0;
export const SYNC_STEP1 = 0;
export const SYNC_STEP2 = 1;
export const SYNC_UPDATE = 2;

export function encodeSync(step: number, payload: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MESSAGE_SYNC);
	encoding.writeVarUint(encoder, step);
	encoding.writeVarUint8Array(encoder, payload);
	return encoding.toUint8Array(encoder);
}

export interface SyncMessage {
	step: number;
	payload: Uint8Array;
}

/** The sync message in `data`, or null for anything else (awareness, which the benchmark ignores). */
export function decodeSync(data: Uint8Array): SyncMessage | null {
	const decoder = decoding.createDecoder(data);
	if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return null;
	const step = decoding.readVarUint(decoder);
	return { step, payload: decoding.readVarUint8Array(decoder) };
}
