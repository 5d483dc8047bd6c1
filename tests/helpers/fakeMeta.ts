import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received, as the real Graph API would have. */
export interface GraphRequest {
	method: string;
	path: string;
	authorization: string | undefined;
	body: unknown;
}

export interface GraphFailure {
	status: number;
	code: number;
	message: string;
	type?: string;
	subcode?: number;
}

/** Meta's documented errors the tests use. */
export const GRAPH_ERRORS = {
	reEngagement: {
		status: 400,
		code: 131047,
		message: 'Re-engagement message: More than 24 hours have passed since the recipient last replied to the sender number.'
	},
	rateLimit: { status: 400, code: 130429, message: 'Rate limit hit: Cloud API message throughput has been reached.' },
	undeliverable: { status: 400, code: 131026, message: 'Message Undeliverable.' }
} satisfies Record<string, GraphFailure>;

/**
 * A local stand-in for the Graph API speaking its documented HTTP: `POST /{version}/{id}/messages` (WhatsApp Cloud
 * API and Instagram Send API answers, or the error body `{ error: { message, type, code, error_subcode, fbtrace_id } }`),
 * `GET /{version}/{media-id}` and the file at the url it names, both with the bearer token. Every request is kept.
 */
export class FakeMeta {
	readonly requests: GraphRequest[] = [];
	readonly #server: http.Server;
	readonly #failures: GraphFailure[] = [];
	readonly #media = new Map<string, { data: Buffer; mime: string; token: string; declaredSize?: number }>();
	readonly #cdn = new Map<string, { data: Buffer; mime: string }>();
	#sendWaiters: (() => void)[] = [];
	#holdNext = false;
	#holdMediaLookup = false;
	#mediaLookupWaiters: (() => void)[] = [];
	#held: (() => void)[] = [];
	url = '';

	private constructor() {
		this.#server = http.createServer((req, res) => void this.#handle(req, res));
	}

	static async start(): Promise<FakeMeta> {
		const fake = new FakeMeta();
		await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
		fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
		return fake;
	}

	/** The next sends answer these errors, in order. */
	failNext(...failures: GraphFailure[]): void {
		this.#failures.push(...failures);
	}

	/** A file on Meta's CDN at `${url}/cdn/<name>`, served to anyone with the URL (as Instagram attachments are). */
	addCdnFile(name: string, data: Buffer, mime: string): string {
		this.#cdn.set(name, { data, mime });
		return `${this.url}/cdn/${name}`;
	}

	/** A file the Graph API holds for `token` under `mediaId`. */
	addMedia(mediaId: string, data: Buffer, mime: string, token: string, declaredSize?: number): void {
		this.#media.set(mediaId, { data, mime, token, ...(declaredSize === undefined ? {} : { declaredSize }) });
	}

	/** The next send is received and recorded, but answered only at `releaseHeld()` (a crash mid-send). */
	holdNext(): void {
		this.#holdNext = true;
	}

	/** The next `GET /{version}/{media-id}` is recorded but answered only at `releaseHeld()`; resolves once it came. */
	holdNextMediaLookup(): Promise<void> {
		this.#holdMediaLookup = true;
		return new Promise((resolve) => this.#mediaLookupWaiters.push(resolve));
	}

	releaseHeld(): void {
		for (const release of this.#held.splice(0)) release();
	}

	get sends(): GraphRequest[] {
		return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
	}

	/** Resolves once `n` sends (successful or not) have been received. */
	async whenSends(n: number): Promise<void> {
		while (this.sends.length < n) await new Promise<void>((resolve) => this.#sendWaiters.push(resolve));
	}

	async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const raw = Buffer.concat(chunks).toString('utf8');
		const path = (req.url ?? '/').split('?')[0];
		const record: GraphRequest = {
			method: req.method ?? 'GET',
			path,
			authorization: req.headers.authorization,
			body: raw ? JSON.parse(raw) : null
		};
		this.requests.push(record);
		const answer = (status: number, body: unknown) =>
			res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
		const cdn = /^\/cdn\/([^/]+)$/.exec(path);
		if (cdn) {
			const file = this.#cdn.get(cdn[1]);
			if (!file) return void answer(404, { error: { message: 'not found', code: 100 } });
			res.writeHead(200, { 'content-type': file.mime, 'content-length': file.data.length }).end(file.data);
			return;
		}
		const file = /^\/files\/([^/]+)$/.exec(path);
		if (file) {
			const media = this.#media.get(file[1]);
			if (!media || req.headers.authorization !== `Bearer ${media.token}`)
				return void answer(404, { error: { message: 'not found', code: 100 } });
			res.writeHead(200, { 'content-type': media.mime, 'content-length': media.data.length }).end(media.data);
			return;
		}
		const messages = /^\/v\d+\.\d+\/(\d+)\/messages$/.exec(path);
		if (messages && req.method === 'POST') {
			const failure = this.#failures.shift();
			const waiters = this.#sendWaiters;
			this.#sendWaiters = [];
			for (const wake of waiters) wake();
			if (this.#holdNext) {
				this.#holdNext = false;
				await new Promise<void>((resolve) => this.#held.push(resolve));
			}
			if (failure) {
				return void answer(failure.status, {
					error: {
						message: failure.message,
						type: failure.type ?? 'OAuthException',
						code: failure.code,
						...(failure.subcode ? { error_subcode: failure.subcode } : {}),
						fbtrace_id: randomBytes(8).toString('hex')
					}
				});
			}
			const body = record.body as { recipient?: { id: string }; to?: string };
			if (body.recipient)
				return void answer(200, { recipient_id: body.recipient.id, message_id: `m_${randomBytes(12).toString('hex')}` });
			return void answer(200, {
				messaging_product: 'whatsapp',
				contacts: [{ input: body.to, wa_id: body.to }],
				messages: [{ id: `wamid.${randomBytes(16).toString('base64url')}` }]
			});
		}
		const mediaInfo = /^\/v\d+\.\d+\/([^/]+)$/.exec(path);
		if (mediaInfo && req.method === 'GET') {
			if (this.#holdMediaLookup) {
				this.#holdMediaLookup = false;
				for (const wake of this.#mediaLookupWaiters.splice(0)) wake();
				await new Promise<void>((resolve) => this.#held.push(resolve));
			}
			const media = this.#media.get(mediaInfo[1]);
			if (!media || req.headers.authorization !== `Bearer ${media.token}`)
				return void answer(400, {
					error: { message: 'Unsupported get request.', type: 'GraphMethodException', code: 100, fbtrace_id: 'x' }
				});
			return void answer(200, {
				messaging_product: 'whatsapp',
				url: `${this.url}/files/${mediaInfo[1]}`,
				mime_type: media.mime,
				sha256: createHash('sha256').update(media.data).digest('hex'),
				file_size: media.declaredSize ?? media.data.length,
				id: mediaInfo[1]
			});
		}
		answer(404, { error: { message: 'Unknown path', type: 'GraphMethodException', code: 100, fbtrace_id: 'x' } });
	}

	close(): Promise<void> {
		this.releaseHeld();
		this.#server.closeAllConnections();
		return new Promise((resolve) => this.#server.close(() => resolve()));
	}
}

/** JSON as Meta sends it: every character past ASCII escaped as \uXXXX (the signature covers these bytes). */
export function metaJson(value: unknown): string {
	return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** A WhatsApp Cloud API `messages` webhook carrying `messages` from one sender (documented shape). */
export function whatsappMessages(
	phoneNumberId: string,
	from: { waId: string; name?: string },
	messages: Record<string, unknown>[]
): Record<string, unknown> {
	return {
		object: 'whatsapp_business_account',
		entry: [
			{
				id: '102290129340398',
				changes: [
					{
						field: 'messages',
						value: {
							messaging_product: 'whatsapp',
							metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
							contacts: [{ profile: { name: from.name ?? 'Kerry Fisher' }, wa_id: from.waId }],
							messages: messages.map((m) => ({ from: from.waId, timestamp: '1732611200', ...m }))
						}
					}
				]
			}
		]
	};
}

/** A WhatsApp status webhook for one of our messages. */
export function whatsappStatus(
	phoneNumberId: string,
	wamid: string,
	status: 'sent' | 'delivered' | 'read' | 'failed',
	error?: { code: number; title: string }
): Record<string, unknown> {
	return {
		object: 'whatsapp_business_account',
		entry: [
			{
				id: '102290129340398',
				changes: [
					{
						field: 'messages',
						value: {
							messaging_product: 'whatsapp',
							metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
							statuses: [
								{
									id: wamid,
									status,
									timestamp: '1732611300',
									recipient_id: '905321234567',
									...(error ? { errors: [{ code: error.code, title: error.title, message: error.title }] } : {})
								}
							]
						}
					}
				]
			}
		]
	};
}

/** An Instagram messaging webhook (`object: "instagram"`). */
export function instagramMessaging(accountId: string, events: Record<string, unknown>[]): Record<string, unknown> {
	return { object: 'instagram', entry: [{ id: accountId, time: 1732611200000, messaging: events }] };
}

/** Posts a signed (or deliberately mis-signed) Meta webhook to the server. */
export async function postMeta(
	serverUrl: string,
	raw: string,
	signature: string | null
): Promise<{ status: number; body: string }> {
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	if (signature !== null) headers['x-hub-signature-256'] = signature;
	const res = await fetch(`${serverUrl}/webhooks/meta`, { method: 'POST', headers, body: raw });
	return { status: res.status, body: await res.text() };
}

export const META_SECRET = 'test-app-secret-0123456789abcdef';
export const META_VERIFY_TOKEN = 'verify-token-for-tests';
export const PHONE_NUMBER_ID = '106540352242922';
export const IG_ACCOUNT_ID = '17841405822304914';
export const WA_TOKEN = 'EAAG-test-whatsapp-token-0123456789';
export const IG_TOKEN = 'IGQW-test-instagram-token-0123456789';

/** The server's environment for talking to `fake` as Meta. */
export function metaEnv(fake: FakeMeta, extra: Record<string, string> = {}): Record<string, string> {
	return {
		META_APP_SECRET: META_SECRET,
		META_VERIFY_TOKEN: META_VERIFY_TOKEN,
		META_GRAPH_URL: fake.url,
		META_GRAPH_VERSION: 'v21.0',
		...extra
	};
}
