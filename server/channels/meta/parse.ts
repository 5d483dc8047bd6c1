import type { InboundMessage, MetaEvent, StatusEvent } from '../types.ts';
import { igMessaging, waValue, type MetaPayload, type WaMessage } from './schemas.ts';
import type { z } from 'zod';

const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'] as const;
const KNOWN_TYPES = new Set<string>(['text', ...MEDIA_TYPES, 'location', 'contacts', 'interactive', 'button', 'reaction']);
const STATUSES = new Set(['sent', 'delivered', 'read', 'failed']);
/** Instagram attachment types that carry a file at `payload.url`, and the type to assume until the file says. */
const IG_FILE_TYPES: Record<string, string> = {
	image: 'image/jpeg',
	video: 'video/mp4',
	audio: 'audio/mp4',
	file: 'application/octet-stream'
};

/** Thrown for a signed payload whose shape Meta does not document: the webhook answers 400. */
export class MalformedPayload extends Error {
	override name = 'MalformedPayload';
}

const isoFromSeconds = (s: string | number) => new Date(Number(s) * 1000).toISOString();

/** Every event of a verified payload, normalized (CHAN-META-TYPES-1); no clinic lookup yet. */
export function parseMetaPayload(payload: MetaPayload): MetaEvent[] {
	return payload.object === 'whatsapp_business_account' ? parseWhatsapp(payload) : parseInstagram(payload);
}

function parseWhatsapp(payload: Extract<MetaPayload, { object: 'whatsapp_business_account' }>): MetaEvent[] {
	const events: MetaEvent[] = [];
	for (const entry of payload.entry) {
		for (const change of entry.changes) {
			// Other subscribed fields (template reviews, account updates) carry no conversation.
			if (change.field !== 'messages') continue;
			const parsed = waValue.safeParse(change.value);
			if (!parsed.success) throw new MalformedPayload('a messages change of an undocumented shape');
			const value = parsed.data;
			const accountId = value.metadata.phone_number_id;
			const names = new Map((value.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]));
			for (const message of value.messages ?? []) events.push(whatsappMessage(accountId, message, names.get(message.from)));
			for (const status of value.statuses ?? []) {
				if (!STATUSES.has(status.status)) continue;
				const error = status.errors?.[0];
				const event: StatusEvent = {
					type: 'status',
					provider: 'whatsapp',
					accountId,
					messageId: status.id,
					status: status.status as StatusEvent['status']
				};
				if (status.status === 'failed')
					event.error = {
						code: String(error?.code ?? 'unknown'),
						message: (error?.title ?? error?.message ?? '').slice(0, 1000)
					};
				events.push(event);
			}
		}
	}
	return events;
}

function whatsappMessage(accountId: string, m: WaMessage, name: string | undefined): InboundMessage {
	const base: InboundMessage = {
		type: 'message',
		provider: 'whatsapp',
		accountId,
		messageId: m.id,
		at: isoFromSeconds(m.timestamp),
		from: { identity: { channel: 'whatsapp', id: m.from }, phone: '+' + m.from, ...(name ? { name } : {}) },
		messageType: KNOWN_TYPES.has(m.type) ? m.type : `unsupported:${m.type}`,
		text: '',
		details: m.context?.id ? { replyTo: m.context.id } : {}
	};
	switch (m.type) {
		case 'text':
			base.text = m.text?.body ?? '';
			break;
		case 'image':
		case 'audio':
		case 'video':
		case 'document':
		case 'sticker': {
			const media = m[m.type];
			if (!media) throw new MalformedPayload(`a ${m.type} message without its ${m.type}`);
			base.text = media.caption ?? '';
			base.media = { providerMediaId: media.id, mime: media.mime_type, filename: media.filename ?? null };
			break;
		}
		case 'location':
			base.details.location = m.location ?? {};
			base.text = m.location?.name ?? '';
			break;
		case 'contacts':
			base.details.contacts = (m.contacts ?? []).map((c) => ({
				name: c.name?.formatted_name ?? '',
				phones: (c.phones ?? []).map((p) => p.phone ?? p.wa_id ?? '').filter(Boolean)
			}));
			break;
		case 'interactive': {
			const reply = m.interactive?.button_reply ?? m.interactive?.list_reply;
			base.text = reply?.title ?? '';
			base.details.interactive = { type: m.interactive?.type ?? 'unknown', id: reply?.id ?? null };
			break;
		}
		case 'button':
			base.text = m.button?.text ?? '';
			base.details.button = { payload: m.button?.payload ?? null };
			break;
		case 'reaction':
			base.text = m.reaction?.emoji ?? '';
			base.details.reaction = { to: m.reaction?.message_id ?? null, emoji: m.reaction?.emoji ?? null };
			break;
	}
	return base;
}

function parseInstagram(payload: Extract<MetaPayload, { object: 'instagram' }>): MetaEvent[] {
	const events: MetaEvent[] = [];
	for (const entry of payload.entry) {
		for (const event of entry.messaging ?? []) events.push(...instagramEvent(event));
	}
	return events;
}

function instagramEvent(e: z.infer<typeof igMessaging>): MetaEvent[] {
	const accountId = e.recipient.id;
	const from = { identity: { channel: 'instagram' as const, id: e.sender.id } };
	const at = new Date(e.timestamp).toISOString();
	if (e.message) {
		// Our own sends come back as echoes (sender = our account): the reply is already in the thread.
		if (e.message.is_echo) return [];
		const attachment = e.message.attachments?.[0];
		const type = attachment ? attachment.type : e.message.text !== undefined ? 'text' : 'unsupported';
		return [
			{
				type: 'message',
				provider: 'instagram',
				accountId,
				messageId: e.message.mid,
				at,
				from,
				messageType: KNOWN_TYPES.has(type) || type === 'share' || type === 'story_mention' ? type : `unsupported:${type}`,
				text: e.message.text ?? '',
				details: attachment ? { attachments: (e.message.attachments ?? []).map((a) => ({ type: a.type })) } : {},
				// The first file is fetched from Meta's CDN like WhatsApp media (CHAN-MEDIA-5); its URL is a capability.
				...(attachment?.payload?.url && IG_FILE_TYPES[attachment.type]
					? { media: { providerMediaId: attachment.payload.url, mime: IG_FILE_TYPES[attachment.type], filename: null } }
					: {})
			}
		];
	}
	if (e.read) return [{ type: 'status', provider: 'instagram', accountId, messageId: e.read.mid, status: 'read' }];
	if (e.reaction) {
		return [
			{
				type: 'message',
				provider: 'instagram',
				accountId,
				// A reaction has no id of its own: the target, who and when make one.
				messageId: `reaction:${e.reaction.mid}:${e.sender.id}:${e.timestamp}`,
				at,
				from,
				messageType: 'reaction',
				text: e.reaction.action === 'react' ? (e.reaction.emoji ?? '') : '',
				details: { reaction: { to: e.reaction.mid, emoji: e.reaction.emoji ?? null, action: e.reaction.action } }
			}
		];
	}
	return [];
}
