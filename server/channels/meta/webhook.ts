import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../log.ts';
import { MAX_DETAILS_BYTES, MAX_TEXT_LENGTH } from '../../../src/lib/domain/thread.ts';
import type { ChannelAccounts } from '../accounts.ts';
import { json, text, type Answer } from '../http.ts';
import type { InboundJournal } from '../journal.ts';
import type { StatusUpdates } from '../statuses.ts';
import type { InboundMessage } from '../types.ts';
import { MalformedPayload, parseMetaPayload } from './parse.ts';
import { metaPayload } from './schemas.ts';
import { validMetaSignature } from './signature.ts';

export interface MetaWebhookDeps {
	appSecret: string | null;
	verifyToken: string | null;
	accounts: ChannelAccounts;
	journal: InboundJournal;
	statuses: StatusUpdates;
	logger: Logger;
}

/** `GET /webhooks/meta`: the subscription handshake (CHAN-META-VERIFY-1). */
export function verifySubscription(url: URL, verifyToken: string | null): Answer {
	const mode = url.searchParams.get('hub.mode');
	const token = url.searchParams.get('hub.verify_token') ?? '';
	const challenge = url.searchParams.get('hub.challenge') ?? '';
	if (mode !== 'subscribe' || !verifyToken || !sameText(token, verifyToken) || challenge.length > 256)
		return text(403, 'Forbidden');
	return text(200, challenge);
}

function sameText(a: string, b: string): boolean {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * `POST /webhooks/meta`: signature over the raw bytes first (401), then Meta's documented shapes (400), then each
 * event to its clinic (an unknown account: 200, a warning, nothing stored); 200 once every event is durable: a
 * message in the inbound journal (CHAN-JOURNAL-1), a status in its thread.
 */
export async function receiveMeta(raw: Buffer, req: IncomingMessage, deps: MetaWebhookDeps): Promise<Answer> {
	const header = req.headers['x-hub-signature-256'];
	if (!validMetaSignature(raw, typeof header === 'string' ? header : undefined, deps.appSecret)) {
		deps.logger.warn({ bytes: raw.length }, 'meta webhook signature refused');
		return json(401, { error: 'bad signature' });
	}
	let events;
	try {
		const parsed = metaPayload.safeParse(JSON.parse(raw.toString('utf8')));
		if (!parsed.success) return json(400, { error: 'not a documented payload' });
		events = parseMetaPayload(parsed.data);
	} catch (error) {
		if (error instanceof SyntaxError || error instanceof MalformedPayload)
			return json(400, { error: 'not a documented payload' });
		throw error;
	}
	const work: Promise<unknown>[] = [];
	for (const event of events) {
		const clinicId = await deps.accounts.clinicOf(event.provider, event.accountId);
		if (!clinicId) {
			deps.logger.warn(
				{ provider: event.provider, accountId: event.accountId, type: event.type },
				'event for an unknown account'
			);
			continue;
		}
		if (event.type === 'status') work.push(deps.statuses.apply(clinicId, event));
		else work.push(journalMessage(clinicId, event, deps));
	}
	await Promise.all(work);
	deps.logger.info({ events: events.length }, 'meta webhook stored');
	return json(200, { ok: true });
}

/** Journals one message; its file (if any) is fetched once the message is written into its thread. */
async function journalMessage(clinicId: string, m: InboundMessage, deps: MetaWebhookDeps): Promise<void> {
	const media = m.media ? { mediaId: null, mime: m.media.mime, bytes: 0, filename: m.media.filename } : null;
	const text = m.text.slice(0, MAX_TEXT_LENGTH);
	// What the domain would refuse is cut here, so a retry of the same payload cannot fail forever.
	const details = JSON.stringify(m.details).length <= MAX_DETAILS_BYTES ? m.details : { truncated: true };
	const messageType = m.messageType.slice(0, 64);
	await deps.journal.record({
		clinicId,
		channel: m.provider,
		provider: m.provider,
		messageId: m.messageId,
		at: m.at,
		contact: {
			identity: m.from.identity,
			...(m.from.phone ? { phone: m.from.phone } : {}),
			...(m.from.name ? { name: m.from.name } : {})
		},
		preview: text,
		entry: {
			kind: 'message',
			input: { channel: m.provider, at: m.at, text, messageType, providerMessageId: m.messageId, media, details }
		},
		...(m.media
			? {
					media: {
						provider: m.provider,
						accountId: m.accountId,
						source: m.media.providerMediaId,
						kind: messageType,
						mime: m.media.mime,
						filename: null
					}
				}
			: {})
	});
}
