import type * as Y from 'yjs';
import type { ChannelKind, ContactQuery } from '../../src/lib/domain/contacts.ts';
import {
	appendCall,
	appendForm,
	appendInbound,
	checkInboundInput,
	type CallInput,
	type FormInput,
	type InboundInput
} from '../../src/lib/domain/thread.ts';
import type { MediaJobRow } from '../store/index.ts';

/** How an event enters its thread: the domain write and its input, plain data so the journal can keep it. */
export type InboundEntry =
	{ kind: 'message'; input: InboundInput } | { kind: 'call'; input: CallInput } | { kind: 'form'; input: FormInput };

/** A file the provider holds, fetched once the entry is written (CHAN-MEDIA-1). */
export type PendingMedia = Pick<MediaJobRow, 'provider' | 'accountId' | 'source' | 'kind' | 'mime' | 'filename'>;

/** One inbound event of any channel, ready to be journaled and written: who it is from, and what it adds. */
export interface InboundItem {
	clinicId: string;
	channel: ChannelKind;
	/** The dedupe key's namespace and value: the provider's id of the message, call or submission. */
	provider: string;
	messageId: string;
	at: string;
	contact: ContactQuery & { name?: string };
	preview: string;
	missedCall?: boolean;
	entry: InboundEntry;
	media?: PendingMedia;
}

/** Writes the entry into its thread doc; returns the entry's id (the one already there for a repeated id). */
export function appendEntry(doc: Y.Doc, entry: InboundEntry): string {
	switch (entry.kind) {
		case 'message':
			return appendInbound(doc, entry.input);
		case 'call':
			return appendCall(doc, entry.input);
		case 'form':
			return appendForm(doc, entry.input);
	}
}

/** Throws what the domain would throw for the entry, writing nothing: a refused event is never counted. */
export function checkEntry(entry: InboundEntry): void {
	checkInboundInput(entry.kind, entry.input);
}
