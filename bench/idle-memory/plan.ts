import { threadKey } from '../sync-relay/layout.ts';

/**
 * Which subscription goes where. A subscription is one doc held open by one client: `docs × perDoc` of them.
 *
 * - `sockets`: one socket of `/sync/<doc>` per subscription. Subscription i is slot i % perDoc of doc
 *   floor(i / perDoc). Sockets are grouped into sessions the way devices would hold them: a session has at most
 *   `perSession` sockets and at most SLOTS_PER_SESSION_DOC on one doc, so no run depends on raising the server's
 *   per-session caps. Source addresses go round-robin over 127.0.0.2… so that no address runs out of ephemeral ports.
 * - `mux`: subscriptions are channels of multiplexed sockets of `/sync` (SYNC-MUX-*), `channelsPerSocket` to a
 *   socket, one socket per session (as a device holds one). Subscription i is channel i % channelsPerSocket of
 *   socket floor(i / channelsPerSocket), on doc i % docs: the channels of one socket are distinct docs (as a
 *   device's are) while channelsPerSocket ≤ docs, and each doc gets perDoc channels from perDoc different sockets.
 *   Sockets go round-robin over the source addresses.
 */
export type Plan = SocketPlan | MuxPlan;

export interface SocketPlan {
	kind: 'sockets';
	docs: number;
	perDoc: number;
	/** Most sockets one session holds. */
	perSession: number;
	/** Source addresses the sockets are spread over (127.0.0.2, 127.0.0.3, …). */
	addresses: number;
}

export interface MuxPlan {
	kind: 'mux';
	docs: number;
	perDoc: number;
	/** Channels (docs) on one multiplexed socket, each socket its own session's. */
	channelsPerSocket: number;
	/** Source addresses the sockets are spread over (127.0.0.2, 127.0.0.3, …). */
	addresses: number;
}

/** Sockets of one session on one doc, below the server's default per session+doc cap (16). */
const SLOTS_PER_SESSION_DOC = 10;
/** Sockets per source address: well below the ~28k ephemeral ports of one address (32768–60999). */
export const SOCKETS_PER_ADDRESS = 10_000;
/** Multiplexed sockets per source address: a few dozen, so that even a few hundred sockets come from several. */
const MUX_SOCKETS_PER_ADDRESS = 25;
const FIRST_ADDRESS = 2;

/** Doc subscriptions of the plan: sockets of `/sync/<doc>`, or channels of multiplexed sockets. */
export const subscriptionCount = (p: Plan): number => p.docs * p.perDoc;
/** Sockets the server holds (one descriptor each). */
export const socketCount = (p: Plan): number =>
	p.kind === 'mux' ? Math.ceil(subscriptionCount(p) / p.channelsPerSocket) : subscriptionCount(p);
export const socketOf = (p: Plan, subscription: number): number =>
	p.kind === 'mux' ? Math.floor(subscription / p.channelsPerSocket) : subscription;
/** Channel id of a subscription on its multiplexed socket (1…channelsPerSocket; ids are the device's to choose). */
export const channelOf = (p: MuxPlan, subscription: number): number => (subscription % p.channelsPerSocket) + 1;
export const docOf = (p: Plan, subscription: number): number =>
	p.kind === 'mux' ? subscription % p.docs : Math.floor(subscription / p.perDoc);
export const docKey = (doc: number): string => threadKey(doc);

const slotsPerSessionDoc = (p: SocketPlan) => Math.min(p.perDoc, SLOTS_PER_SESSION_DOC);
const slotGroups = (p: SocketPlan) => Math.ceil(p.perDoc / slotsPerSessionDoc(p));
const docsPerSession = (p: SocketPlan) => Math.max(1, Math.floor(p.perSession / slotsPerSessionDoc(p)));

export const sessionCount = (p: Plan): number =>
	p.kind === 'mux' ? socketCount(p) : Math.ceil(p.docs / docsPerSession(p)) * slotGroups(p);

export function sessionOf(p: Plan, subscription: number): number {
	if (p.kind === 'mux') return socketOf(p, subscription);
	const doc = docOf(p, subscription);
	const slot = subscription % p.perDoc;
	return Math.floor(doc / docsPerSession(p)) * slotGroups(p) + Math.floor(slot / slotsPerSessionDoc(p));
}

export const addressCount = (sockets: number): number => Math.min(250, Math.max(1, Math.ceil(sockets / SOCKETS_PER_ADDRESS)));
export const muxAddressCount = (sockets: number): number =>
	Math.min(250, Math.max(1, Math.ceil(sockets / MUX_SOCKETS_PER_ADDRESS)));
export const addressOf = (p: Plan, subscription: number): string =>
	`127.0.0.${FIRST_ADDRESS + (socketOf(p, subscription) % p.addresses)}`;
const address = (i: number) => `127.0.0.${FIRST_ADDRESS + i}`;
export const addressRange = (p: Plan): string => (p.addresses === 1 ? address(0) : `${address(0)}–${address(p.addresses - 1)}`);
