import { api, errorCode, type RouterOutputs } from '$lib/api/client.ts';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';
import type { ConnectRequest } from './connect-form.ts';

export type ConnectedChannel = RouterOutputs['channels']['list'][number];

/** Either what the call returned or the message to show; nothing on the device changes on failure. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; message: MessageKey };

function messageFor(error: unknown): MessageKey {
	switch (errorCode(error)) {
		case 'NETWORK':
			return 'channels.error.offline';
		case 'CONFLICT':
			return 'channels.error.taken';
		case 'BAD_REQUEST':
			return 'channels.error.invalid';
		case 'FORBIDDEN':
		case 'UNAUTHORIZED':
			return 'channels.error.forbidden';
		case 'NOT_FOUND':
			return 'channels.error.gone';
		default:
			return 'channels.error.failed';
	}
}

async function attempt<T>(call: () => Promise<T>): Promise<Outcome<T>> {
	try {
		return { ok: true, value: await call() };
	} catch (error) {
		return { ok: false, message: messageFor(error) };
	}
}

/** The clinic's connected channels as an admin manages them; the list is the server's after every change. */
export class ChannelAccounts {
	accounts = $state<ConnectedChannel[] | null>(null);
	loadError = $state<MessageKey | null>(null);

	async load(): Promise<void> {
		const outcome = await attempt(() => api.channels.list.query());
		if (outcome.ok) {
			this.accounts = outcome.value;
			this.loadError = null;
		} else this.loadError = outcome.message;
	}

	async connect(request: ConnectRequest): Promise<Outcome<ConnectedChannel>> {
		const outcome = await attempt(() => api.channels.connect.mutate(request));
		if (outcome.ok) await this.load();
		return outcome;
	}

	async disconnect(account: ConnectedChannel): Promise<Outcome<{ ok: true }>> {
		const outcome = await attempt(() =>
			api.channels.disconnect.mutate({ provider: account.provider, externalId: account.externalId })
		);
		if (outcome.ok) await this.load();
		return outcome;
	}
}
