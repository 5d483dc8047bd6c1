import { threadKey } from '../sync-relay/layout.ts';

/**
 * Which socket goes where. Socket i is slot i % perDoc of doc floor(i / perDoc). Sockets are grouped into
 * sessions the way devices would hold them: a session has at most `perSession` sockets and at most
 * SLOTS_PER_SESSION_DOC on one doc, so no run depends on raising the server's per-session caps.
 * Source addresses go round-robin over 127.0.0.2… so that no address runs out of ephemeral ports.
 */
export interface Plan {
	docs: number;
	perDoc: number;
	/** Most sockets one session holds. */
	perSession: number;
	/** Source addresses the sockets are spread over (127.0.0.2, 127.0.0.3, …). */
	addresses: number;
}

/** Sockets of one session on one doc, below the server's default per session+doc cap (16). */
const SLOTS_PER_SESSION_DOC = 10;
/** Sockets per source address: well below the ~28k ephemeral ports of one address (32768–60999). */
export const SOCKETS_PER_ADDRESS = 10_000;
const FIRST_ADDRESS = 2;

export const socketCount = (p: Plan): number => p.docs * p.perDoc;
export const docOf = (p: Plan, socket: number): number => Math.floor(socket / p.perDoc);
export const docKey = (doc: number): string => threadKey(doc);

const slotsPerSessionDoc = (p: Plan) => Math.min(p.perDoc, SLOTS_PER_SESSION_DOC);
const slotGroups = (p: Plan) => Math.ceil(p.perDoc / slotsPerSessionDoc(p));
const docsPerSession = (p: Plan) => Math.max(1, Math.floor(p.perSession / slotsPerSessionDoc(p)));

export const sessionCount = (p: Plan): number => Math.ceil(p.docs / docsPerSession(p)) * slotGroups(p);

export function sessionOf(p: Plan, socket: number): number {
	const doc = docOf(p, socket);
	const slot = socket % p.perDoc;
	return Math.floor(doc / docsPerSession(p)) * slotGroups(p) + Math.floor(slot / slotsPerSessionDoc(p));
}

export const addressCount = (sockets: number): number => Math.min(250, Math.max(1, Math.ceil(sockets / SOCKETS_PER_ADDRESS)));
export const addressOf = (p: Plan, socket: number): string => `127.0.0.${FIRST_ADDRESS + (socket % p.addresses)}`;
export const addressRange = (p: Plan): string =>
	p.addresses === 1 ? addressOf(p, 0) : `${addressOf(p, 0)}–${addressOf(p, p.addresses - 1)}`;
