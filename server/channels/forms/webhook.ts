import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/index.ts';
import { normalizePhone } from '../../../src/lib/domain/contacts.ts';
import { isId } from '../../../src/lib/domain/docName.ts';
import { newId } from '../../../src/lib/domain/ids.ts';
import { json, type Answer } from '../http.ts';
import type { InboundJournal } from '../journal.ts';

export interface FormDeps {
	store: Pick<Store, 'clinics'>;
	journal: InboundJournal;
	logger: Logger;
	/** Allowed `redirect` targets (origin + path). */
	redirects: readonly string[];
	limiter: RateLimiterMemory;
}

/** The honeypot: a field people never see, which bots fill in (CHAN-FORM-3). */
export const HONEYPOT_FIELD = 'website';

/** A website form (CHAN-FORM-1): a contact or an appointment request; a way back to the visitor is required. */
export const formInput = z
	.object({
		kind: z.enum(['contact', 'appointment_request']).default('contact'),
		name: z.string().trim().max(200).optional(),
		phone: z
			.string()
			.trim()
			.max(40)
			.optional()
			.refine((p) => !p || normalizePhone(p) !== null, 'not a valid phone number'),
		email: z
			.email()
			.max(254)
			.optional()
			.or(z.literal('').transform(() => undefined)),
		message: z.string().trim().max(4000).default(''),
		preferredTime: z.string().trim().max(200).optional(),
		[HONEYPOT_FIELD]: z.string().max(1000).optional(),
		redirect: z.string().max(2000).optional()
	})
	.refine((f) => f.phone || f.email, { message: 'a phone number or an email is needed', path: ['phone'] });

export function formLimiter(perMinute: number): RateLimiterMemory {
	return new RateLimiterMemory({ points: perMinute, duration: 60 });
}

function parseBody(raw: Buffer, type: string): unknown {
	const text = raw.toString('utf8');
	if (type.startsWith('application/json')) return JSON.parse(text);
	if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
	return undefined;
}

function allowedRedirect(target: string | undefined, allowed: readonly string[]): string | null {
	if (!target) return null;
	try {
		const url = new URL(target);
		return allowed.includes(url.origin + url.pathname) ? url.href : null;
	} catch {
		return null;
	}
}

/** `POST /forms/<clinicId>`: rate limit per address (429), shape (400), honeypot (accepted, not stored), then the thread. */
export async function receiveForm(
	raw: Buffer,
	req: IncomingMessage,
	clinicId: string,
	ip: string,
	deps: FormDeps
): Promise<Answer> {
	try {
		await deps.limiter.consume(ip);
	} catch (error) {
		if (!(error instanceof RateLimiterRes)) throw error;
		deps.logger.warn({ clinicId }, 'form rate limit reached');
		return {
			...json(429, { error: 'too many submissions, try again in a minute' }),
			headers: { 'retry-after': String(Math.ceil(error.msBeforeNext / 1000)) }
		};
	}
	if (!isId(clinicId) || !(await deps.store.clinics.get(clinicId))) return json(404, { error: 'no such form' });
	let body: unknown;
	try {
		body = parseBody(raw, String(req.headers['content-type'] ?? ''));
	} catch {
		return json(400, { error: 'the form could not be read' });
	}
	if (body === undefined) return json(415, { error: 'send JSON or a url-encoded form' });
	const parsed = formInput.safeParse(body);
	if (!parsed.success) return json(400, { error: 'the form is incomplete', fields: z.flattenError(parsed.error).fieldErrors });
	const form = parsed.data;
	const back = allowedRedirect(form.redirect, deps.redirects);
	const answer: Answer = back ? { status: 303, headers: { location: back } } : json(200, { ok: true });
	if (form[HONEYPOT_FIELD]) {
		deps.logger.info({ clinicId }, 'form honeypot filled; not stored');
		return answer;
	}
	const at = new Date().toISOString();
	const formId = newId();
	const fields: Record<string, string> = { kind: form.kind };
	if (form.name) fields.name = form.name;
	if (form.phone) fields.phone = form.phone;
	if (form.email) fields.email = form.email;
	if (form.preferredTime) fields.preferredTime = form.preferredTime;
	await deps.journal.record({
		clinicId,
		channel: 'web',
		provider: 'web',
		messageId: formId,
		at,
		contact: {
			...(form.name ? { name: form.name } : {}),
			...(form.phone ? { phone: form.phone } : {}),
			...(form.email ? { email: form.email } : {})
		},
		preview: form.message,
		entry: { kind: 'form', input: { at, providerFormId: formId, fields, text: form.message } }
	});
	deps.logger.info({ clinicId, kind: form.kind }, 'form stored');
	return answer;
}
