import { z } from 'zod';
import type { OutgoingReply, SendResult } from '../types.ts';

/** Meta's documented error body: `{ error: { message, type, code, error_subcode?, fbtrace_id } }`. */
const graphError = z.object({
	error: z.object({
		message: z.string().max(2000).default(''),
		code: z.number().int(),
		error_subcode: z.number().int().optional()
	})
});
const sentAnswer = z.object({ messages: z.array(z.object({ id: z.string().min(1).max(256) })).min(1) });
const igSentAnswer = z.object({ message_id: z.string().min(1).max(256) });
const mediaInfo = z.object({
	url: z.url(),
	mime_type: z.string().max(127),
	file_size: z.coerce.number().int().nonnegative().optional(),
	sha256: z.string().max(128).optional()
});

/** Rate limits: Meta's throughput (130429), spam (131048), per-pair (131056) and app-level (4, 80007) codes. */
const RATE_LIMIT_CODES = new Set([4, 80007, 130429, 131048, 131056]);

export interface GraphSettings {
	baseUrl: string;
	version: string;
	/** Per request. */
	timeoutMs?: number;
}

/** The Graph API calls the channels make, with the account's token: sends (WhatsApp, Instagram) and media. */
export class GraphClient {
	readonly #s: GraphSettings;

	constructor(settings: GraphSettings) {
		this.#s = settings;
	}

	#url(path: string): string {
		return `${this.#s.baseUrl}/${this.#s.version}/${path}`;
	}

	async sendWhatsapp(phoneNumberId: string, token: string, reply: OutgoingReply): Promise<SendResult> {
		const body = reply.template
			? {
					messaging_product: 'whatsapp',
					to: reply.to,
					type: 'template',
					template: {
						name: reply.template.name,
						language: { code: reply.template.language },
						components:
							reply.template.params.length > 0
								? [{ type: 'body', parameters: reply.template.params.map((text) => ({ type: 'text', text })) }]
								: []
					}
				}
			: { messaging_product: 'whatsapp', recipient_type: 'individual', to: reply.to, type: 'text', text: { body: reply.text } };
		return this.#send(
			`${encodeURIComponent(phoneNumberId)}/messages`,
			token,
			body,
			(json) => sentAnswer.parse(json).messages[0].id
		);
	}

	async sendInstagram(accountId: string, token: string, reply: OutgoingReply): Promise<SendResult> {
		const body = { recipient: { id: reply.to }, message: { text: reply.text } };
		return this.#send(`${encodeURIComponent(accountId)}/messages`, token, body, (json) => igSentAnswer.parse(json).message_id);
	}

	async #send(path: string, token: string, body: unknown, idOf: (json: unknown) => string): Promise<SendResult> {
		const res = await fetch(this.#url(path), {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify(body),
			signal: AbortSignal.timeout(this.#s.timeoutMs ?? 15_000)
		});
		const json: unknown = await res.json().catch(() => null);
		if (res.ok) return { ok: true, providerMessageId: idOf(json) };
		const parsed = graphError.safeParse(json);
		const code = parsed.success ? parsed.data.error.code : res.status;
		return {
			ok: false,
			retryLater: res.status === 429 || RATE_LIMIT_CODES.has(code),
			code: String(code),
			message: parsed.success ? parsed.data.error.message.slice(0, 1000) : `HTTP ${res.status}`
		};
	}

	/** `GET /{media-id}` → where the file is; then the file itself with the same token, refused past `maxBytes`. */
	async fetchMedia(
		mediaId: string,
		token: string,
		maxBytes: number
	): Promise<{ ok: true; data: Buffer; mime: string } | { ok: false; code: string; message: string }> {
		const auth = { authorization: `Bearer ${token}` };
		const infoRes = await fetch(this.#url(encodeURIComponent(mediaId)), { headers: auth, signal: AbortSignal.timeout(15_000) });
		if (!infoRes.ok) return { ok: false, code: `graph_${infoRes.status}`, message: 'the media could not be looked up' };
		const info = mediaInfo.safeParse(await infoRes.json().catch(() => null));
		if (!info.success) return { ok: false, code: 'graph_media_shape', message: 'the media answer was not understood' };
		if (info.data.file_size !== undefined && info.data.file_size > maxBytes) return tooLarge(maxBytes);
		const fileRes = await fetch(info.data.url, { headers: auth, signal: AbortSignal.timeout(120_000) });
		if (!fileRes.ok || !fileRes.body)
			return { ok: false, code: `graph_${fileRes.status}`, message: 'the media could not be fetched' };
		const data = await readBounded(fileRes.body, maxBytes);
		if (!data) return tooLarge(maxBytes);
		return { ok: true, data, mime: info.data.mime_type };
	}

	/** An Instagram attachment: the file at its CDN URL, without any token (the URL itself grants access). */
	async fetchAttachment(
		url: string,
		maxBytes: number
	): Promise<{ ok: true; data: Buffer; mime: string } | { ok: false; code: string; message: string }> {
		if (!isMetaFileUrl(url, this.#s.baseUrl)) return { ok: false, code: 'media_url_refused', message: 'not a Meta CDN address' };
		const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(120_000) });
		if (!res.ok || !res.body) return { ok: false, code: `cdn_${res.status}`, message: 'the attachment could not be fetched' };
		const declared = Number(res.headers.get('content-length') ?? NaN);
		if (declared > maxBytes) return tooLarge(maxBytes);
		const data = await readBounded(res.body, maxBytes);
		if (!data) return tooLarge(maxBytes);
		const mime = (res.headers.get('content-type') ?? '').split(';')[0].trim().slice(0, 100);
		return { ok: true, data, mime };
	}
}

/** Hosts of Meta's CDN an Instagram attachment may be fetched from (besides the Graph API's own origin). */
const META_CDN_SUFFIXES = ['.fbsbx.com', '.fbcdn.net', '.cdninstagram.com'];

/**
 * Whether an attachment URL from a (signed) webhook may be fetched: https on Meta's CDN, or the configured Graph
 * API origin. Anything else — another host, plain http, credentials in the URL — is refused, so a payload can
 * never point the server at an internal address.
 */
export function isMetaFileUrl(raw: string, graphBaseUrl: string): boolean {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return false;
	}
	if (url.username || url.password) return false;
	if (url.origin === new URL(graphBaseUrl).origin) return true;
	return url.protocol === 'https:' && META_CDN_SUFFIXES.some((suffix) => `.${url.hostname}`.endsWith(suffix));
}

const tooLarge = (maxBytes: number) => ({ ok: false as const, code: 'media_too_large', message: `over ${maxBytes} bytes` });

/** Reads a download up to `maxBytes`; null (and the rest is not read) past it. */
export async function readBounded(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Buffer | null> {
	const chunks: Uint8Array[] = [];
	let size = 0;
	const reader = body.getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.length;
		if (size > maxBytes) {
			await reader.cancel();
			return null;
		}
		chunks.push(value);
	}
	return Buffer.concat(chunks, size);
}
