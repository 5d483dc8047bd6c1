import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from '../../server/channels/twilio/signature.ts';

export const TWILIO_AUTH_TOKEN = '12345678901234567890123456789012';
export const TWILIO_ACCOUNT_SID = 'AC' + 'a1'.repeat(16);

/**
 * A local stand-in for Twilio's REST API as far as the server uses it: recordings at
 * `/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.mp3`, behind HTTP basic auth (AccountSid:AuthToken).
 * Every request is kept.
 */
export class FakeTwilio {
	readonly requests: { path: string; authorization: string | undefined }[] = [];
	readonly #recordings = new Map<string, Buffer>();
	readonly #server: http.Server;
	url = '';

	private constructor() {
		this.#server = http.createServer((req, res) => {
			const path = (req.url ?? '/').split('?')[0];
			this.requests.push({ path, authorization: req.headers.authorization });
			const expected = 'Basic ' + Buffer.from(`${TWILIO_ACCOUNT_SID}:${TWILIO_AUTH_TOKEN}`).toString('base64');
			const match = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Recordings\/(RE[0-9a-f]{32})\.mp3$/.exec(path);
			const data = match ? this.#recordings.get(match[2]) : undefined;
			if (req.headers.authorization !== expected) return void res.writeHead(401).end();
			if (!data) return void res.writeHead(404).end();
			res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': data.length }).end(data);
		});
	}

	static async start(): Promise<FakeTwilio> {
		const fake = new FakeTwilio();
		await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
		fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
		return fake;
	}

	/** A recording Twilio holds; returns its `RecordingUrl` as a callback would give it (without extension). */
	addRecording(recordingSid: string, data: Buffer): string {
		this.#recordings.set(recordingSid, data);
		return `${this.url}/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Recordings/${recordingSid}`;
	}

	close(): Promise<void> {
		this.#server.closeAllConnections();
		return new Promise((resolve) => this.#server.close(() => resolve()));
	}
}

/** Posts a voice status callback as Twilio does: form-encoded, signed over PUBLIC_ORIGIN + path and the sorted params. */
export async function postVoice(
	serverUrl: string,
	publicOrigin: string,
	params: Record<string, string>,
	opts: { authToken?: string; signature?: string | null } = {}
): Promise<{ status: number; type: string | null; body: string }> {
	const path = '/webhooks/twilio/voice';
	const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
	const signature =
		opts.signature === undefined
			? twilioSignature(opts.authToken ?? TWILIO_AUTH_TOKEN, publicOrigin + path, params)
			: opts.signature;
	if (signature !== null) headers['x-twilio-signature'] = signature;
	const res = await fetch(serverUrl + path, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
	return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** A status callback's documented parameters for one call (Twilio sends many more; the server reads these). */
export function voiceCallback(callSid: string, fields: Record<string, string>): Record<string, string> {
	return {
		AccountSid: TWILIO_ACCOUNT_SID,
		ApiVersion: '2010-04-01',
		CallSid: callSid,
		Called: '+902161234567',
		Caller: '+905321234567',
		Direction: 'inbound',
		From: '+905321234567',
		To: '+902161234567',
		Timestamp: 'Tue, 26 Nov 2024 09:15:00 +0000',
		CallbackSource: 'call-progress-events',
		SequenceNumber: '0',
		...fields
	};
}
