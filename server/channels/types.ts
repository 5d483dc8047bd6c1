import type { ChannelIdentity, ChannelKind } from '../../src/lib/domain/contacts.ts';
import type { DeliveryStatus, TemplateMessage } from '../../src/lib/domain/thread.ts';
import type { ChannelProvider } from '../store/index.ts';

/** A patient's message as every channel hands it to the ingest, whatever its provider's payload looked like. */
export interface InboundMessage {
	type: 'message';
	provider: 'whatsapp' | 'instagram';
	/** The provider's id of the clinic's account the message was sent to (phone-number id, Instagram account id). */
	accountId: string;
	messageId: string;
	at: string;
	from: { identity: ChannelIdentity; phone?: string; name?: string };
	messageType: string;
	text: string;
	details: Record<string, unknown>;
	/** A file the provider holds; fetched after the message is stored (CHAN-MEDIA-1). */
	media?: { providerMediaId: string; mime: string; filename: string | null };
}

/** A delivery status of one of our replies, found by the provider's message id. */
export interface StatusEvent {
	type: 'status';
	provider: 'whatsapp' | 'instagram';
	accountId: string;
	messageId: string;
	status: Exclude<DeliveryStatus, 'queued'>;
	error?: { code: string; message: string };
}

export type MetaEvent = InboundMessage | StatusEvent;

export interface CallEvent {
	type: 'call';
	/** The clinic's number that was called (E.164). */
	to: string;
	from: string;
	callId: string;
	at: string;
	outcome: 'answered' | 'missed' | 'voicemail';
	durationSeconds: number;
	recording?: { url: string; accountSid: string };
}

export interface FormEvent {
	type: 'form';
	clinicId: string;
	formId: string;
	at: string;
	name?: string;
	phone?: string;
	email?: string;
	fields: Record<string, string>;
	text: string;
}

/**
 * What the ingest tells the clinic's automation (auto-assignment, away message) after an inbound event is
 * durable. The lead implements it (server/automation/); it must not throw, and it is never awaited by a webhook.
 */
export interface InboundAutomation {
	onInbound(event: {
		clinicId: string;
		threadId: string;
		contactId: string;
		channel: ChannelKind;
		newThread: boolean;
		at: string;
	}): Promise<void> | void;
}

/** A reply as the dispatcher hands it to a channel. */
export interface OutgoingReply {
	clinicId: string;
	/** The recipient: WhatsApp wa_id / E.164 digits, Instagram-scoped id. */
	to: string;
	text: string;
	template?: TemplateMessage;
}

/** The provider's answer to a send. `retryLater`: rate limited, certainly not sent; try the same attempt again later. */
export type SendResult =
	{ ok: true; providerMessageId: string } | { ok: false; retryLater: boolean; code: string; message: string };

/** One channel's way out. */
export interface ChannelSender {
	send(reply: OutgoingReply): Promise<SendResult>;
}

export type { ChannelProvider };
