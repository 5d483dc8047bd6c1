import { z } from 'zod';
import { open, seal, type Keyring } from '../crypto/index.ts';
import type { ChannelAccountRow, ChannelProvider, Store } from '../store/index.ts';
import { normalizePhone } from '../../src/lib/domain/contacts.ts';

/** What an admin (Settings or the CLI) gives to connect an account; tokens are write-only from here on. */
export const connectInput = z.discriminatedUnion('provider', [
	z.object({
		provider: z.literal('whatsapp'),
		externalId: z.string().regex(/^\d{5,32}$/, 'a phone-number id is digits'),
		accessToken: z.string().trim().min(20).max(2048)
	}),
	z.object({
		provider: z.literal('instagram'),
		externalId: z.string().regex(/^\d{5,32}$/, 'an Instagram account id is digits'),
		accessToken: z.string().trim().min(20).max(2048)
	}),
	z.object({
		provider: z.literal('phone'),
		externalId: z.string().transform((raw, ctx) => {
			const e164 = normalizePhone(raw);
			if (!e164) ctx.addIssue({ code: 'custom', message: 'not a valid phone number' });
			return e164 ?? raw;
		})
	})
]);
export type ConnectInput = z.input<typeof connectInput>;

/** An account as admins see it: never its token, only whether it has one. */
export interface ConnectedAccount {
	provider: ChannelProvider;
	externalId: string;
	hasToken: boolean;
	connectedAt: string;
}

export class AccountTakenError extends Error {
	override name = 'AccountTakenError';
}

const tokenAad = (clinicId: string, provider: ChannelProvider, externalId: string) =>
	`frontdesk:v1:channel-token:${clinicId}:${provider}:${externalId}`;

/**
 * How long an account's clinic is taken from memory: every webhook event asks, and a disconnect made by another
 * process (another node) is seen within this; this process's own connects and disconnects are seen at once.
 */
const CLINIC_OF_TTL_MS = 5_000;

/** The clinic's channel accounts, tokens sealed with its data key (CHAN-ACCOUNT-1). */
export class ChannelAccounts {
	readonly #store: Pick<Store, 'channelAccounts' | 'clinics'>;
	readonly #keyring: Keyring;
	/** Connected accounts' clinics as last read; an unknown account is always read again (it may be connected now). */
	readonly #clinicOf = new Map<string, { clinicId: string; until: number }>();

	constructor(store: Pick<Store, 'channelAccounts' | 'clinics'>, keyring: Keyring) {
		this.#store = store;
		this.#keyring = keyring;
	}

	async connect(clinicId: string, input: ConnectInput, now = Date.now()): Promise<ConnectedAccount> {
		const parsed = connectInput.parse(input);
		if (!(await this.#store.clinics.get(clinicId))) throw new Error(`no clinic with id ${clinicId}`);
		const token = 'accessToken' in parsed ? parsed.accessToken : null;
		const key = await this.#keyring.dataKey(clinicId);
		const row: ChannelAccountRow = {
			provider: parsed.provider,
			externalId: parsed.externalId,
			clinicId,
			sealedToken:
				token === null ? null : seal(key, Buffer.from(token, 'utf8'), tokenAad(clinicId, parsed.provider, parsed.externalId)),
			createdAt: now
		};
		this.#clinicOf.clear();
		if (!(await this.#store.channelAccounts.connect(row)))
			throw new AccountTakenError('this account is connected to another clinic');
		const stored = await this.#store.channelAccounts.find(parsed.provider, parsed.externalId);
		return view(stored ?? row);
	}

	async list(clinicId: string): Promise<ConnectedAccount[]> {
		return (await this.#store.channelAccounts.listForClinic(clinicId)).map(view);
	}

	async disconnect(clinicId: string, provider: ChannelProvider, externalId: string): Promise<boolean> {
		this.#clinicOf.clear();
		return this.#store.channelAccounts.disconnect(clinicId, provider, externalId);
	}

	/** The clinic an incoming event is for, or null for an account nobody connected. */
	async clinicOf(provider: ChannelProvider, externalId: string, now = Date.now()): Promise<string | null> {
		const key = `${provider}\n${externalId}`;
		const known = this.#clinicOf.get(key);
		if (known && known.until > now) return known.clinicId;
		const clinicId = (await this.#store.channelAccounts.find(provider, externalId))?.clinicId ?? null;
		if (clinicId === null) this.#clinicOf.delete(key);
		else this.#clinicOf.set(key, { clinicId, until: now + CLINIC_OF_TTL_MS });
		return clinicId;
	}

	/** The account a clinic sends from on this provider (the first connected), with its token. */
	async sender(clinicId: string, provider: 'whatsapp' | 'instagram'): Promise<{ externalId: string; token: string } | null> {
		const row = (await this.#store.channelAccounts.listForClinic(clinicId)).find((a) => a.provider === provider && a.sealedToken);
		if (!row?.sealedToken) return null;
		return { externalId: row.externalId, token: await this.#open(row) };
	}

	/** The token of the account an event came through (to fetch its media). */
	async tokenOf(provider: 'whatsapp' | 'instagram', externalId: string): Promise<string | null> {
		const row = await this.#store.channelAccounts.find(provider, externalId);
		return row?.sealedToken ? this.#open(row) : null;
	}

	async #open(row: ChannelAccountRow): Promise<string> {
		const key = await this.#keyring.dataKey(row.clinicId);
		return open(key, row.sealedToken!, tokenAad(row.clinicId, row.provider, row.externalId)).toString('utf8');
	}
}

function view(row: ChannelAccountRow): ConnectedAccount {
	return {
		provider: row.provider,
		externalId: row.externalId,
		hasToken: row.sealedToken !== null,
		connectedAt: new Date(row.createdAt).toISOString()
	};
}
