import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { MessageType } from '../../src/lib/domain/syncProtocol.ts';

/** Yjs exports `createDeleteSet` but not the type it returns. */
type DeleteSet = ReturnType<typeof Y.createDeleteSet>;

/**
 * Building blocks of the sync fuzz test (`tests/integration/sync-fuzz.test.ts`): a seeded PRNG, y-websocket
 * framing, hostile messages of every kind, and a classifier that keeps attacker updates to ones a correct
 * server must refuse (they throw when applied, or stay pending forever), never legitimate writes.
 */

// ---------------------------------------------------------------- PRNG

export interface Rng {
	/** [0, 1) */
	next(): number;
	int(maxExclusive: number): number;
	range(min: number, maxInclusive: number): number;
	chance(p: number): boolean;
	pick<T>(items: readonly T[]): T;
	bytes(length: number): Uint8Array;
	/** A 32-bit client id that no innocent writer uses. */
	clientId(): number;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export function mulberry32(seed: number): Rng {
	let a = seed >>> 0;
	const next = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const rng: Rng = {
		next,
		int: (max) => Math.floor(next() * max),
		range: (min, max) => min + Math.floor(next() * (max - min + 1)),
		chance: (p) => next() < p,
		pick: (items) => items[Math.floor(next() * items.length)],
		bytes: (length) => Uint8Array.from({ length }, () => Math.floor(next() * 256)),
		clientId: () => 0x40000000 + Math.floor(next() * 0x3fffffff)
	};
	return rng;
}

// ---------------------------------------------------------------- framing

const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;

export function syncMessage(step: 0 | 1 | 2, payload: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.sync);
	encoding.writeVarUint(encoder, step);
	encoding.writeVarUint8Array(encoder, payload);
	return encoding.toUint8Array(encoder);
}

export const step1Message = (stateVector: Uint8Array) => syncMessage(SYNC_STEP1, stateVector);
export const EMPTY_STATE_VECTOR = Uint8Array.of(0);

export function awarenessMessage(payload: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.awareness);
	encoding.writeVarUint8Array(encoder, payload);
	return encoding.toUint8Array(encoder);
}

export const queryAwarenessMessage = () => Uint8Array.of(MessageType.queryAwareness);

export function authMessage(reason: string): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MessageType.auth);
	encoding.writeVarUint(encoder, 0);
	encoding.writeVarString(encoder, reason);
	return encoding.toUint8Array(encoder);
}

/** An awareness update with arbitrary entries: any client id, any clock, any state. */
export function awarenessPayload(entries: { client: number; clock: number; state: unknown }[]): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, entries.length);
	for (const e of entries) {
		encoding.writeVarUint(encoder, e.client);
		encoding.writeVarUint(encoder, e.clock);
		encoding.writeVarString(encoder, JSON.stringify(e.state));
	}
	return encoding.toUint8Array(encoder);
}

export type ServerMessage =
	| { kind: 'step1'; stateVector: Uint8Array }
	| { kind: 'step2' | 'update'; update: Uint8Array }
	| { kind: 'awareness'; update: Uint8Array }
	| { kind: 'other' };

/** Reads what the server sent; anything unexpected is `other` (the caller decides whether that matters). */
export function readServerMessage(data: Uint8Array): ServerMessage {
	try {
		const decoder = decoding.createDecoder(data);
		const type = decoding.readVarUint(decoder);
		if (type === MessageType.sync) {
			const step = decoding.readVarUint(decoder);
			const payload = decoding.readVarUint8Array(decoder);
			if (step === SYNC_STEP1) return { kind: 'step1', stateVector: payload };
			if (step === SYNC_STEP2) return { kind: 'step2', update: payload };
			if (step === SYNC_UPDATE) return { kind: 'update', update: payload };
		}
		if (type === MessageType.awareness) return { kind: 'awareness', update: decoding.readVarUint8Array(decoder) };
	} catch {
		// fall through
	}
	return { kind: 'other' };
}

/** Decodes a message the way the server's parser does; returns the update of a step 2 / update message. */
export function parsedUpdateOf(message: Uint8Array): Uint8Array | null {
	try {
		const decoder = decoding.createDecoder(message);
		if (decoding.readVarUint(decoder) !== MessageType.sync) return null;
		const step = decoding.readVarUint(decoder);
		if (step !== SYNC_STEP2 && step !== SYNC_UPDATE) return null;
		const payload = decoding.readVarUint8Array(decoder);
		if (decoding.hasContent(decoder)) return null;
		Y.decodeUpdate(payload);
		return payload;
	} catch {
		return null;
	}
}

// ---------------------------------------------------------------- updates

export const KNOWN_POISON = Uint8Array.from(Buffer.from('01020200c40101010202585943010501770189010103000105010701', 'hex'));

type Struct = Y.Item | Y.GC | Y.Skip;

/** Encodes decoded structs and a delete set back into a v1 update (Yjs exports the parts, not this). */
export function encodeStructs(structs: Struct[], ds: DeleteSet): Uint8Array {
	const byClient = new Map<number, Struct[]>();
	for (const s of structs) {
		const list = byClient.get(s.id.client);
		if (list) list.push(s);
		else byClient.set(s.id.client, [s]);
	}
	const encoder = new Y.UpdateEncoderV1();
	encoding.writeVarUint(encoder.restEncoder, byClient.size);
	for (const [client, list] of byClient) {
		list.sort((x, y) => x.id.clock - y.id.clock);
		encoding.writeVarUint(encoder.restEncoder, list.length);
		encoder.writeClient(client);
		encoding.writeVarUint(encoder.restEncoder, list[0].id.clock);
		for (const s of list) s.write(encoder, 0);
	}
	encoding.writeVarUint(encoder.restEncoder, ds.clients.size);
	for (const [client, items] of ds.clients) {
		encoder.resetDsCurVal();
		encoding.writeVarUint(encoder.restEncoder, client);
		encoding.writeVarUint(encoder.restEncoder, items.length);
		for (const item of items) {
			encoder.writeDsClock(item.clock);
			encoder.writeDsLen(item.len);
		}
	}
	return encoder.toUint8Array();
}

/** A delete set deleting `len` at `(client, clock)`. */
export function deleteSetOf(entries: { client: number; clock: number; len: number }[]): DeleteSet {
	const ds = Y.createDeleteSet();
	for (const e of entries) {
		const list = ds.clients.get(e.client) ?? [];
		list.push({ clock: e.clock, len: e.len } as never);
		ds.clients.set(e.client, list);
	}
	return ds;
}

export type Verdict = 'throws' | 'pending' | 'noop' | 'applies';

/**
 * What `update` does to a copy of `state` (a state the server has, or is ahead of): throws, stays pending without
 * changing anything, changes nothing, or applies (a legitimate write, which an attacker must not send here).
 */
export function classify(update: Uint8Array, state: Uint8Array): Verdict {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, state);
	const before = Y.encodeStateVector(doc);
	const beforeJson = JSON.stringify(contentOf(doc));
	const beforeDs = Y.encodeStateAsUpdate(doc).length;
	const hadPending = doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
	try {
		Y.applyUpdate(doc, update);
	} catch {
		return 'throws';
	}
	const changed =
		!equalBytes(before, Y.encodeStateVector(doc)) ||
		JSON.stringify(contentOf(doc)) !== beforeJson ||
		(!hadPending &&
			doc.store.pendingStructs === null &&
			doc.store.pendingDs === null &&
			Y.encodeStateAsUpdate(doc).length !== beforeDs);
	if (changed) return 'applies';
	if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) return 'pending';
	return 'noop';
}

/**
 * The fuzzed doc's content: the three shared types the innocent writers edit, map keys sorted (a Y.Map's key
 * order is the order its entries were integrated in, which differs between replicas).
 */
export function contentOf(doc: Y.Doc): { t: string; m: unknown; a: unknown } {
	return { t: doc.getText('t').toString(), m: sortKeys(doc.getMap('m').toJSON()), a: sortKeys(doc.getArray('a').toJSON()) };
}

function sortKeys(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(sortKeys);
	if (value && typeof value === 'object')
		return Object.fromEntries(
			Object.entries(value)
				.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
				.map(([k, v]) => [k, sortKeys(v)])
		);
	return value;
}

/** Where two contents first differ, short enough for a failure message. */
export function contentDiff(actual: string, expected: string): string {
	let at = 0;
	while (at < actual.length && actual[at] === expected[at]) at++;
	const from = Math.max(0, at - 30);
	return `differs at char ${at} of ${expected.length}: …${actual.slice(from, at + 40)}… instead of …${expected.slice(from, at + 40)}…`;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
	return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A state vector as a sorted, printable object. */
export function svObject(sv: Map<number, number>): Record<string, number> {
	return Object.fromEntries([...sv.entries()].filter(([, clock]) => clock > 0).sort(([x], [y]) => x - y));
}

// ---------------------------------------------------------------- hostile updates

export interface Material {
	rng: Rng;
	/** The state the server has confirmed so far (a read-only observer's doc). */
	confirmed: Uint8Array;
	/** Real updates the innocent writers made, already confirmed by the server. */
	innocentUpdates: Uint8Array[];
	innocentClients: readonly number[];
}

const cloneId = (client: number, clock: number) => Y.createID(client, clock);

function structsOf(update: Uint8Array): { structs: Struct[]; ds: DeleteSet } {
	const { structs, ds } = Y.decodeUpdate(update);
	return { structs: structs.filter((s) => !(s instanceof Y.Skip)) as Struct[], ds };
}

/** Structured mutations of real updates, and updates whose dependencies never arrive. */
export const badUpdateKinds = [
	'known-poison',
	'shift-clock',
	'foreign-client',
	'missing-origin',
	'missing-right-origin',
	'origin-null-right-origin-existing',
	'cross-type-origins',
	'withheld-deps',
	'pending-delete'
] as const;
export type BadUpdateKind = (typeof badUpdateKinds)[number];

/** One update of `kind`, or null when this material cannot make one. Not yet classified. */
export function makeBadUpdate(kind: BadUpdateKind, m: Material): Uint8Array | null {
	const { rng } = m;
	const source = m.innocentUpdates.length > 0 ? rng.pick(m.innocentUpdates) : null;
	switch (kind) {
		case 'known-poison':
			return KNOWN_POISON;
		case 'shift-clock':
		case 'foreign-client': {
			if (!source) return null;
			const { structs } = structsOf(source);
			if (structs.length === 0) return null;
			const client = rng.pick(structs).id.client;
			const newClient = kind === 'foreign-client' ? rng.clientId() : client;
			const delta = kind === 'shift-clock' ? 1_000_000 + rng.int(1_000_000) : 1 + rng.int(100);
			const mine = structs.filter((s) => s.id.client === client);
			for (const s of mine) s.id = cloneId(newClient, s.id.clock + delta);
			return encodeStructs(mine, Y.createDeleteSet());
		}
		case 'missing-origin':
		case 'missing-right-origin': {
			const items = allItems(m.confirmed);
			if (items.length === 0) return null;
			const item = rng.pick(items);
			const fresh = rng.clientId();
			item.id = cloneId(rng.clientId(), 0);
			if (kind === 'missing-origin') item.origin = cloneId(fresh, rng.int(50));
			else item.rightOrigin = cloneId(fresh, rng.int(50));
			if (item.origin === null && item.rightOrigin === null) return null;
			return encodeStructs([item], Y.createDeleteSet());
		}
		case 'origin-null-right-origin-existing':
		case 'cross-type-origins': {
			const items = allItems(m.confirmed);
			if (items.length < 2) return null;
			const item = rng.pick(items);
			const other = rng.pick(items);
			item.id = cloneId(rng.clientId(), 0);
			if (kind === 'origin-null-right-origin-existing') {
				item.origin = null;
				item.rightOrigin = cloneId(other.id.client, other.id.clock + rng.int(other.length));
			} else {
				item.origin = cloneId(other.id.client, other.id.clock + rng.int(other.length));
				const third = rng.pick(items);
				item.rightOrigin = cloneId(third.id.client, third.id.clock + rng.int(third.length));
			}
			return encodeStructs([item], Y.createDeleteSet());
		}
		case 'withheld-deps': {
			// A private doc on top of the confirmed state; its first edit is withheld, a later one is sent.
			const doc = new Y.Doc();
			Y.applyUpdate(doc, m.confirmed);
			doc.clientID = rng.clientId();
			const updates: Uint8Array[] = [];
			doc.on('update', (u: Uint8Array) => updates.push(u));
			const edits = rng.range(2, 4);
			for (let i = 0; i < edits; i++) innocentLikeEdit(doc, rng, `evil${i}`);
			if (updates.length < 2) return null;
			return rng.pick(updates.slice(1));
		}
		case 'pending-delete': {
			const client = rng.chance(0.5) ? rng.pick(m.innocentClients) : rng.clientId();
			return encodeStructs([], deleteSetOf([{ client, clock: 1_000_000 + rng.int(1_000_000), len: rng.range(1, 20) }]));
		}
	}
}

function allItems(state: Uint8Array): Y.Item[] {
	return Y.decodeUpdate(state).structs.filter((s): s is Y.Item => s instanceof Y.Item);
}

/** One random edit of the kind the innocent writers make (text, map or array). */
export function innocentLikeEdit(doc: Y.Doc, rng: Rng, tag: string): void {
	const text = doc.getText('t');
	const map = doc.getMap('m');
	const array = doc.getArray('a');
	switch (rng.int(6)) {
		case 0:
		case 1:
			text.insert(rng.int(text.length + 1), `${tag}${rng.int(100)} `);
			return;
		case 2:
			if (text.length > 4) {
				const at = rng.int(text.length - 2);
				text.delete(at, rng.range(1, Math.min(4, text.length - at)));
			} else text.insert(0, tag);
			return;
		case 3:
			if (rng.chance(0.2) && map.size > 0) map.delete(rng.pick([...map.keys()]));
			else map.set(`k${rng.int(12)}`, rng.chance(0.5) ? `${tag}-${rng.int(1000)}` : { by: tag, n: rng.int(1000) });
			return;
		case 4:
			array.insert(rng.int(array.length + 1), [`${tag}:${rng.int(1000)}`]);
			return;
		default:
			if (array.length > 0) array.delete(rng.int(array.length), 1);
			else array.push([tag]);
	}
}

// ---------------------------------------------------------------- byte mutations

export const mutations = ['bit-flip', 'truncate', 'extend', 'length-prefix', 'splice', 'zero-run', 'type-swap'] as const;

/** A damaged copy of a valid message: the kinds of corruption a buggy or hostile peer sends. */
export function mutate(message: Uint8Array, rng: Rng): { how: (typeof mutations)[number]; bytes: Uint8Array } {
	const how = rng.pick(mutations);
	const out = Uint8Array.from(message);
	switch (how) {
		case 'bit-flip': {
			const flips = rng.range(1, 3);
			for (let i = 0; i < flips; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
			return { how, bytes: out };
		}
		case 'truncate':
			return { how, bytes: out.subarray(0, rng.int(out.length)) };
		case 'extend':
			return { how, bytes: Uint8Array.from([...out, ...rng.bytes(rng.range(1, 8))]) };
		case 'length-prefix': {
			// The payload's length varint (after type and, for sync, step) is replaced by another value.
			const at = out[0] === MessageType.sync ? 2 : 1;
			if (out.length <= at) return { how, bytes: out };
			const encoder = encoding.createEncoder();
			encoding.writeVarUint(encoder, rng.chance(0.5) ? rng.int(out.length + 4) : rng.int(0x7fffffff));
			return {
				how,
				bytes: Uint8Array.from([...out.subarray(0, at), ...encoding.toUint8Array(encoder), ...out.subarray(at + 1)])
			};
		}
		case 'splice': {
			const from = rng.int(out.length);
			const to = from + rng.int(out.length - from);
			return { how, bytes: Uint8Array.from([...out.subarray(0, to), ...out.subarray(from, to), ...out.subarray(to)]) };
		}
		case 'zero-run': {
			const from = rng.int(out.length);
			out.fill(rng.chance(0.5) ? 0 : 0xff, from, from + rng.range(1, 6));
			return { how, bytes: out };
		}
		case 'type-swap':
			out[0] = rng.int(5);
			if (out.length > 1 && out[0] === MessageType.sync) out[1] = rng.int(4);
			return { how, bytes: out };
	}
}

// ---------------------------------------------------------------- sockets

export interface CloseRecord {
	code: number;
	reason: string;
	/** The attack kinds sent by anyone in the step the close arrived in and the one before it. */
	around: string[];
}

/** A raw socket on the sync endpoint. */
export function openRaw(url: string, cookie: string, origin: string): WebSocket {
	const ws = new WebSocket(url, { headers: { cookie, origin } });
	ws.binaryType = 'nodebuffer';
	return ws;
}

/**
 * Opens a fresh raw socket, asks for everything (step 1 with an empty state vector) and resolves with the
 * server's step-2 answer: the doc exactly as the server serves it.
 */
export function fetchServedDoc(url: string, cookie: string, origin: string): Promise<Uint8Array> {
	return new Promise((resolve, reject) => {
		const ws = openRaw(url, cookie, origin);
		ws.once('error', reject);
		ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
		ws.once('open', () => ws.send(step1Message(EMPTY_STATE_VECTOR)));
		ws.on('message', (data: Buffer) => {
			const message = readServerMessage(new Uint8Array(data));
			if (message.kind === 'step2') {
				resolve(message.update);
				ws.close();
			}
		});
		ws.once('close', (code) => reject(new Error(`closed with ${code} before step 2`)));
	});
}

/** Resolves on the next turn of the event loop (lets sockets and the server interleave; not a timed wait). */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A condition re-checked whenever something relevant happens (`poke`), with a timeout as a failure guard only.
 * Resolves true when it held, false when the guard expired.
 */
export class Conditions {
	#waiters = new Set<() => void>();

	poke = (): void => {
		for (const check of [...this.#waiters]) check();
	};

	until(predicate: () => boolean, guardMs: number): Promise<boolean> {
		if (predicate()) return Promise.resolve(true);
		return new Promise((resolve) => {
			const check = () => {
				if (predicate()) done(true);
			};
			const timer = setTimeout(() => done(false), guardMs);
			const done = (ok: boolean) => {
				clearTimeout(timer);
				this.#waiters.delete(check);
				resolve(ok);
			};
			this.#waiters.add(check);
		});
	}
}
