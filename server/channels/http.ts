import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBoundedBody } from '../http/bodyLimit.ts';

/** What a webhook route answers: a status, and a body of its type. */
export interface Answer {
	status: number;
	type?: string;
	body?: string;
	headers?: Record<string, string>;
	/** The body was over this many bytes: answered 413 and the connection closed. */
	tooLarge?: number;
}

export const json = (status: number, value: unknown): Answer => ({
	status,
	type: 'application/json',
	body: JSON.stringify(value)
});
export const text = (status: number, body: string): Answer => ({ status, type: 'text/plain; charset=utf-8', body });

export function send(res: ServerResponse, answer: Answer): void {
	const headers: Record<string, string> = { 'cache-control': 'no-store', ...answer.headers };
	if (answer.type) headers['content-type'] = answer.type;
	res.writeHead(answer.status, headers).end(answer.body);
}

/**
 * The raw body, bounded (CHAN-HTTP-1): a declared length past `limit` is refused before reading, a streamed one
 * once the count passes it. Null means "too large" (answer 413).
 */
export async function rawBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
	const declared = req.headers['content-length'];
	if (declared !== undefined && Number(declared) > limit) return null;
	return readBoundedBody(req, limit);
}
