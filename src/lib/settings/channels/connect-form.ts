import { z } from 'zod';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';

export const CHANNEL_PROVIDERS = ['whatsapp', 'instagram', 'phone'] as const;
export type ChannelProvider = (typeof CHANNEL_PROVIDERS)[number];

export type ConnectField = 'externalId' | 'accessToken';

/** What the connect form sends: the server checks the same again (and a phone number's validity). */
export type ConnectRequest =
	{ provider: 'whatsapp' | 'instagram'; externalId: string; accessToken: string } | { provider: 'phone'; externalId: string };

const digits = z
	.string()
	.trim()
	.regex(/^\d{5,32}$/);
const token = z.string().trim().min(20).max(2048);
const phone = z
	.string()
	.trim()
	.regex(/^[+\d(][\d\s()-]{6,24}$/);

/** Checks the form before anything is sent; each field's problem is a message of its own. */
export function parseConnectForm(input: {
	provider: string;
	externalId: string;
	accessToken: string;
}): { ok: true; request: ConnectRequest } | { ok: false; errors: Partial<Record<ConnectField, MessageKey>> } {
	const errors: Partial<Record<ConnectField, MessageKey>> = {};
	if (input.provider === 'phone') {
		if (!phone.safeParse(input.externalId).success) return { ok: false, errors: { externalId: 'channels.error.phone' } };
		return { ok: true, request: { provider: 'phone', externalId: input.externalId.trim() } };
	}
	if (input.provider !== 'whatsapp' && input.provider !== 'instagram')
		return { ok: false, errors: { externalId: 'channels.error.provider' } };
	if (!digits.safeParse(input.externalId).success) errors.externalId = 'channels.error.externalId';
	if (!token.safeParse(input.accessToken).success) errors.accessToken = 'channels.error.token';
	if (errors.externalId || errors.accessToken) return { ok: false, errors };
	return {
		ok: true,
		request: { provider: input.provider, externalId: input.externalId.trim(), accessToken: input.accessToken.trim() }
	};
}
