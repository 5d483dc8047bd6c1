import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../log.ts';
import { normalizePhone } from '../../../src/lib/domain/contacts.ts';
import type { ChannelAccounts } from '../accounts.ts';
import type { Answer } from '../http.ts';
import type { InboundJournal } from '../journal.ts';
import { validTwilioSignature } from './signature.ts';

export interface TwilioWebhookDeps {
	authToken: string | null;
	publicOrigin: string | null;
	apiUrl: string;
	accounts: ChannelAccounts;
	journal: InboundJournal;
	logger: Logger;
}

/** Twilio's voice status callback, as far as we read it (form-encoded; other parameters are ignored). */
const callback = z.object({
	CallSid: z.string().regex(/^CA[0-9a-f]{32}$/i),
	AccountSid: z.string().regex(/^AC[0-9a-f]{32}$/i),
	From: z.string().min(1).max(64),
	To: z.string().min(1).max(64),
	CallStatus: z.enum(['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled']),
	CallDuration: z.coerce.number().int().min(0).max(86_400).optional(),
	RecordingUrl: z.url().optional(),
	RecordingSid: z.string().max(64).optional(),
	Timestamp: z.string().max(64).optional()
});

const EMPTY_TWIML: Answer = { status: 200, type: 'text/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' };
const MISSED = new Set(['busy', 'no-answer', 'failed', 'canceled']);

/**
 * `POST /webhooks/twilio/voice`: the signature first (403), then the callback's shape (400); a call to a number no
 * clinic connected is answered and forgotten. Answered, missed and voicemail calls become entries of the caller's
 * thread (CHAN-TWILIO-CALL-1); an empty TwiML `<Response/>` answers Twilio.
 */
export async function receiveVoice(raw: Buffer, req: IncomingMessage, url: URL, deps: TwilioWebhookDeps): Promise<Answer> {
	const params = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
	const signedUrl = (deps.publicOrigin ?? '') + url.pathname + url.search;
	const header = req.headers['x-twilio-signature'];
	if (!validTwilioSignature(deps.authToken, signedUrl, params, typeof header === 'string' ? header : undefined)) {
		deps.logger.warn({ bytes: raw.length }, 'twilio webhook signature refused');
		return { status: 403, type: 'text/plain', body: 'Forbidden' };
	}
	const parsed = callback.safeParse(params);
	if (!parsed.success) return { status: 400, type: 'text/plain', body: 'not a documented voice callback' };
	const call = parsed.data;
	// Ringing and in-progress callbacks say nothing final: the call is written once it ended.
	if (call.CallStatus !== 'completed' && !MISSED.has(call.CallStatus)) return EMPTY_TWIML;
	const to = normalizePhone(call.To);
	const clinicId = to ? await deps.accounts.clinicOf('phone', to) : null;
	if (!clinicId) {
		deps.logger.warn({ provider: 'phone', callId: call.CallSid }, 'call to an unknown number');
		return EMPTY_TWIML;
	}
	const from = normalizePhone(call.From);
	const recording = call.RecordingUrl && call.RecordingUrl.startsWith(deps.apiUrl + '/') ? call.RecordingUrl : null;
	const outcome = recording ? 'voicemail' : call.CallStatus === 'completed' ? 'answered' : 'missed';
	const at =
		call.Timestamp && !Number.isNaN(Date.parse(call.Timestamp))
			? new Date(call.Timestamp).toISOString()
			: new Date().toISOString();
	const { duplicate } = await deps.journal.record({
		clinicId,
		channel: 'phone',
		provider: 'phone',
		messageId: call.CallSid,
		at,
		contact: from ? { phone: from } : {},
		preview: '',
		missedCall: outcome !== 'answered',
		entry: {
			kind: 'call',
			input: { at, outcome, durationSeconds: call.CallDuration ?? 0, providerCallId: call.CallSid, ...(from ? { from } : {}) }
		},
		...(recording
			? {
					media: {
						provider: 'phone' as const,
						accountId: call.AccountSid,
						source: recording,
						kind: 'audio',
						mime: 'audio/mpeg',
						filename: null
					}
				}
			: {})
	});
	deps.logger.info({ clinicId, outcome, duplicate }, 'call stored');
	return EMPTY_TWIML;
}
