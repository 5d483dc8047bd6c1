import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

type Struct = Y.Item | Y.GC;

/** Header bytes a chunk may need beyond its structs (client groups, counts, the empty delete set). */
const HEADER_ALLOWANCE = 1024;
/** Generous size of one delete-set range (client, clock and length as var ints). */
const DS_RANGE_BYTES = 12;
const SKIP_REF = 10;

/**
 * Splits a Yjs update (V1) into updates of at most `maxBytes` each, in an order the receiver can apply one by one
 * without anything left pending: every struct comes after the structs it refers to (its left and right origin,
 * its parent, the previous struct of its client), and the deletions come last. The server's message limit then
 * never cuts a device's legitimate work (an offline day, an import). A single struct larger than `maxBytes`
 * travels alone.
 */
export function splitUpdate(update: Uint8Array, maxBytes: number): Uint8Array[] {
	if (update.length <= maxBytes) return [update];
	const { structs, ds } = Y.decodeUpdate(update);
	const byClient = new Map<number, Struct[]>();
	const budget = Math.max(1, maxBytes - HEADER_ALLOWANCE);
	for (const whole of structs) {
		if (whole instanceof Y.Skip) continue;
		for (const s of piecesOf(whole as Struct, budget)) {
			const list = byClient.get(s.id.client);
			if (list) list.push(s);
			else byClient.set(s.id.client, [s]);
		}
	}
	for (const list of byClient.values()) list.sort((a, b) => a.id.clock - b.id.clock);

	const chunks: Uint8Array[] = [];
	let current: Struct[] = [];
	let size = 0;
	for (const s of causalOrder(byClient)) {
		const n = encodedSize(s);
		if (current.length > 0 && size + n > budget) {
			chunks.push(encodeStructs(current));
			current = [];
			size = 0;
		}
		current.push(s);
		size += n;
	}
	if (current.length > 0) chunks.push(encodeStructs(current));
	chunks.push(...encodeDeleteSet(ds.clients, budget));
	return chunks;
}

/**
 * A struct too large for one message, cut as Yjs itself splits an item: each piece's left origin is the last
 * element of the piece before it, all keep the right origin. Yjs merges consecutive edits into one item (300
 * messages pushed one by one are one item), so this is the common case, not an exotic one. Content of one
 * element (an embed, a type) cannot be cut and travels whole.
 */
function piecesOf(s: Struct, budget: number): Struct[] {
	if (!(s instanceof Y.Item) || s.length < 2) return [s];
	const size = encodedSize(s);
	if (size <= budget) return [s];
	const content = s.content;
	if (!(content instanceof Y.ContentAny || content instanceof Y.ContentString || content instanceof Y.ContentJSON)) return [s];
	const text = content instanceof Y.ContentString ? content.str : null;
	const pieces: Struct[] = [];
	const unitsPerPiece = Math.max(1, Math.floor((budget * s.length) / size));
	let at = 0;
	while (at < s.length) {
		let len = unitsPerPiece;
		for (;;) {
			len = Math.min(len, s.length - at);
			// Never between the halves of a surrogate pair: Yjs would replace both with U+FFFD.
			if (text && at + len < s.length && isHighSurrogate(text.charCodeAt(at + len - 1))) len += len > 1 ? -1 : 1;
			const piece = slice(s, at, len);
			if (len <= 2 || encodedSize(piece) <= budget) {
				pieces.push(piece);
				break;
			}
			len = Math.floor(len / 2);
		}
		at += pieces[pieces.length - 1].length;
	}
	return pieces;
}

function slice(s: Y.Item, at: number, len: number): Y.Item {
	const content = s.content.copy();
	const tail = at > 0 ? content.splice(at) : content;
	if (len < tail.getLength()) tail.splice(len);
	const origin = at === 0 ? s.origin : Y.createID(s.id.client, s.id.clock + at - 1);
	return new Y.Item(Y.createID(s.id.client, s.id.clock + at), null, origin, null, s.rightOrigin, s.parent, s.parentSub, tail);
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** Every struct after what it depends on (depth first, without recursion: updates can hold 100,000 structs). */
function causalOrder(byClient: Map<number, Struct[]>): Struct[] {
	const done = new Map<number, number>();
	const order: Struct[] = [];
	const isDone = (client: number, index: number) => (done.get(client) ?? 0) > index;
	/** The struct of this update holding `id`, or null when the receiver has it already. */
	const locate = (id: Y.ID | null): [number, number] | null => {
		if (!id) return null;
		const list = byClient.get(id.client);
		if (!list || id.clock < list[0].id.clock) return null;
		let lo = 0;
		let hi = list.length - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			const s = list[mid];
			if (id.clock < s.id.clock) hi = mid - 1;
			else if (id.clock >= s.id.clock + s.length) lo = mid + 1;
			else return [id.client, mid];
		}
		return null;
	};
	const unmet = (client: number, index: number): [number, number] | null => {
		const before = done.get(client) ?? 0;
		if (before < index) return [client, before];
		const s = byClient.get(client)![index];
		if (!(s instanceof Y.Item)) return null;
		const parent = s.parent instanceof Y.ID ? s.parent : null;
		for (const dep of [s.origin, s.rightOrigin, parent]) {
			const at = locate(dep);
			if (at && !isDone(at[0], at[1])) return at;
		}
		return null;
	};
	for (const [client, list] of byClient) {
		for (let i = 0; i < list.length; i++) {
			if (isDone(client, i)) continue;
			const stack: [number, number][] = [[client, i]];
			const onStack = new Set([`${client}:${i}`]);
			while (stack.length > 0) {
				const [c, k] = stack[stack.length - 1];
				if (isDone(c, k)) {
					stack.pop();
					onStack.delete(`${c}:${k}`);
					continue;
				}
				const next = unmet(c, k);
				// A cycle cannot come from a real doc; should one appear, the struct goes out as it is.
				if (next && !onStack.has(`${next[0]}:${next[1]}`)) {
					stack.push(next);
					onStack.add(`${next[0]}:${next[1]}`);
					continue;
				}
				order.push(byClient.get(c)![k]);
				done.set(c, k + 1);
				stack.pop();
				onStack.delete(`${c}:${k}`);
			}
		}
	}
	return order;
}

function encodedSize(s: Struct): number {
	const encoder = new Y.UpdateEncoderV1();
	s.write(encoder, 0);
	return encoding.length(encoder.restEncoder);
}

/** One update holding these structs (each client's in clock order) and no deletions. */
function encodeStructs(structs: Struct[]): Uint8Array {
	const groups = new Map<number, Struct[]>();
	for (const s of structs) {
		const list = groups.get(s.id.client);
		if (list) list.push(s);
		else groups.set(s.id.client, [s]);
	}
	const encoder = new Y.UpdateEncoderV1();
	const rest = encoder.restEncoder;
	encoding.writeVarUint(rest, groups.size);
	for (const [client, list] of groups) {
		let gaps = 0;
		for (let i = 1; i < list.length; i++) if (list[i].id.clock !== list[i - 1].id.clock + list[i - 1].length) gaps++;
		encoding.writeVarUint(rest, list.length + gaps);
		encoder.writeClient(client);
		encoding.writeVarUint(rest, list[0].id.clock);
		for (let i = 0; i < list.length; i++) {
			if (i > 0) {
				// A hole in the client's clocks is written as a skip: one group per client is all the format allows.
				const end = list[i - 1].id.clock + list[i - 1].length;
				if (list[i].id.clock !== end) {
					encoder.writeInfo(SKIP_REF);
					encoding.writeVarUint(rest, list[i].id.clock - end);
				}
			}
			list[i].write(encoder, 0);
		}
	}
	encoding.writeVarUint(rest, 0);
	return encoder.toUint8Array();
}

/** The deletions as updates without structs, split by ranges to stay within the budget. */
function encodeDeleteSet(clients: Map<number, { clock: number; len: number }[]>, budget: number): Uint8Array[] {
	const chunks: Uint8Array[] = [];
	let current = new Map<number, { clock: number; len: number }[]>();
	let size = 0;
	const flush = () => {
		if (current.size === 0) return;
		const encoder = new Y.UpdateEncoderV1();
		const rest = encoder.restEncoder;
		encoding.writeVarUint(rest, 0);
		encoding.writeVarUint(rest, current.size);
		for (const [client, ranges] of current) {
			encoding.writeVarUint(rest, client);
			encoding.writeVarUint(rest, ranges.length);
			for (const r of ranges) {
				encoding.writeVarUint(rest, r.clock);
				encoding.writeVarUint(rest, r.len);
			}
		}
		chunks.push(encoder.toUint8Array());
		current = new Map();
		size = 0;
	};
	for (const [client, ranges] of clients) {
		for (const range of ranges) {
			if (size + DS_RANGE_BYTES > budget) flush();
			const list = current.get(client);
			if (list) list.push(range);
			else current.set(client, [range]);
			size += DS_RANGE_BYTES;
		}
	}
	flush();
	return chunks;
}
