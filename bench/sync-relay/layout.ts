/**
 * Which client works on which doc: client i is slot i % perDoc of doc floor(i / perDoc).
 * Docs are named like real threads, so our server parses and authorizes them as it would in use.
 */
export interface Layout {
	docs: number;
	perDoc: number;
}

export const clientCount = (l: Layout): number => l.docs * l.perDoc;
export const docOf = (l: Layout, client: number): number => Math.floor(client / l.perDoc);
export const slotOf = (l: Layout, client: number): number => client % l.perDoc;
export const threadKey = (doc: number): string => `t${String(doc).padStart(3, '0')}`;

/** The client that confirms a sender's updates arrived: the next one on the same doc. */
export const witnessOf = (l: Layout, sender: number): number =>
	docOf(l, sender) * l.perDoc + ((slotOf(l, sender) + 1) % l.perDoc);
