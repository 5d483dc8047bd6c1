import { z } from 'zod';

/**
 * Meta's documented webhook payloads (WhatsApp Cloud API `messages` field, Instagram messaging), as far as we read
 * them. Unknown fields are ignored; a message of a type we do not know still parses (CHAN-META-TYPES-2).
 */
const id = z.string().min(1).max(256);
const digits = z.string().regex(/^\d{1,32}$/);
const epochSeconds = z.string().regex(/^\d{1,12}$/);
const shortText = z.string().max(4096);

const mediaObject = z.object({
	id,
	mime_type: z.string().max(127).default('application/octet-stream'),
	sha256: z.string().max(128).optional(),
	caption: shortText.optional(),
	filename: z.string().max(255).optional()
});

export const waMessage = z.object({
	from: digits,
	id,
	timestamp: epochSeconds,
	type: z.string().min(1).max(64),
	text: z.object({ body: shortText }).optional(),
	image: mediaObject.optional(),
	audio: mediaObject.optional(),
	video: mediaObject.optional(),
	document: mediaObject.optional(),
	sticker: mediaObject.optional(),
	location: z
		.object({
			latitude: z.number(),
			longitude: z.number(),
			name: z.string().max(1000).optional(),
			address: z.string().max(1000).optional()
		})
		.optional(),
	contacts: z
		.array(
			z.object({
				name: z
					.object({ formatted_name: z.string().max(1000).optional() })
					.partial()
					.optional(),
				phones: z
					.array(z.object({ phone: z.string().max(64).optional(), wa_id: z.string().max(64).optional() }))
					.max(20)
					.optional()
			})
		)
		.max(20)
		.optional(),
	interactive: z
		.object({
			type: z.string().max(64),
			button_reply: z.object({ id: z.string().max(256), title: z.string().max(256) }).optional(),
			list_reply: z
				.object({ id: z.string().max(256), title: z.string().max(256), description: z.string().max(1024).optional() })
				.optional()
		})
		.optional(),
	button: z.object({ payload: z.string().max(1024).optional(), text: z.string().max(1024) }).optional(),
	reaction: z.object({ message_id: id, emoji: z.string().max(32).optional() }).optional(),
	context: z.object({ id: id.optional(), from: z.string().max(64).optional() }).optional()
});
export type WaMessage = z.infer<typeof waMessage>;

export const waStatus = z.object({
	id,
	status: z.string().min(1).max(32),
	timestamp: epochSeconds,
	recipient_id: z.string().max(64).optional(),
	errors: z
		.array(z.object({ code: z.number().int(), title: z.string().max(1000).optional(), message: z.string().max(1000).optional() }))
		.max(10)
		.optional()
});

export const waValue = z.object({
	messaging_product: z.literal('whatsapp').optional(),
	metadata: z.object({ display_phone_number: z.string().max(64).optional(), phone_number_id: digits }),
	contacts: z
		.array(z.object({ wa_id: digits, profile: z.object({ name: z.string().max(256).optional() }).optional() }))
		.max(100)
		.optional(),
	messages: z.array(waMessage).max(1000).optional(),
	statuses: z.array(waStatus).max(1000).optional()
});

export const whatsappPayload = z.object({
	object: z.literal('whatsapp_business_account'),
	entry: z
		.array(
			z.object({
				id: z.string().max(64),
				changes: z.array(z.object({ field: z.string().max(64), value: z.unknown() })).max(100)
			})
		)
		.max(100)
});

const igAttachment = z.object({
	type: z.string().max(64),
	payload: z
		.object({ url: z.string().max(4096).optional() })
		.partial()
		.optional()
});

export const igMessaging = z.object({
	sender: z.object({ id: digits }),
	recipient: z.object({ id: digits }),
	timestamp: z.number().int().nonnegative(),
	message: z
		.object({
			mid: id,
			text: shortText.optional(),
			attachments: z.array(igAttachment).max(20).optional(),
			is_echo: z.boolean().optional(),
			is_deleted: z.boolean().optional(),
			is_unsupported: z.boolean().optional()
		})
		.optional(),
	read: z.object({ mid: id }).optional(),
	reaction: z
		.object({
			mid: id,
			action: z.enum(['react', 'unreact']),
			reaction: z.string().max(64).optional(),
			emoji: z.string().max(32).optional()
		})
		.optional()
});

export const instagramPayload = z.object({
	object: z.literal('instagram'),
	entry: z
		.array(
			z.object({ id: z.string().max(64), time: z.number().optional(), messaging: z.array(igMessaging).max(1000).optional() })
		)
		.max(100)
});

export const metaPayload = z.discriminatedUnion('object', [whatsappPayload, instagramPayload]);
export type MetaPayload = z.infer<typeof metaPayload>;
