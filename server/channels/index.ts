import { randomUUID } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import type * as Y from 'yjs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Sessions } from '../auth/index.ts';
import type { ChannelSettings } from '../config/index.ts';
import type { Keyring } from '../crypto/index.ts';
import { errorMessage } from '../errors.ts';
import { refuseTooLarge } from '../http/bodyLimit.ts';
import { clientAddress } from '../http/clientAddress.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/index.ts';
import type { SyncHooks, SyncServer } from '../sync/index.ts';
import { ChannelAccounts } from './accounts.ts';
import { ChannelRows, mayQueue } from './channelRows.ts';
import { Dispatcher } from './dispatcher.ts';
import { formLimiter, receiveForm } from './forms/webhook.ts';
import { HeldDocs } from './heldDocs.ts';
import { json, rawBody, send, type Answer } from './http.ts';
import { Ingest } from './ingest.ts';
import { InboundJournal } from './journal.ts';
import { MediaVault } from './media.ts';
import { mediaLimit } from './mediaLimits.ts';
import { fetchRecording } from './twilio/recording.ts';
import { GraphClient } from './meta/graph.ts';
import { receiveMeta, verifySubscription } from './meta/webhook.ts';
import { StatusUpdates } from './statuses.ts';
import { receiveVoice } from './twilio/webhook.ts';
import type { InboundAutomation } from './types.ts';

export { ChannelAccounts, AccountTakenError, connectInput, type ConnectInput, type ConnectedAccount } from './accounts.ts';
export type { InboundAutomation } from './types.ts';

/** `SyncServer.read` and `write`, on held docs. */
export interface DocAccess {
	read<T>(docName: string, view: (doc: Y.Doc) => T): Promise<T>;
	write: SyncServer['write'];
}

export interface ChannelsDeps {
	settings: ChannelSettings;
	store: Store;
	keyring: Keyring;
	/** The sync server, known once it is built (it takes this module's hooks). */
	sync: () => SyncServer;
	sessions: Sessions;
	logger: Logger;
	metrics: Metrics;
	trustProxy: number;
	automation?: InboundAutomation;
}

export interface Channels {
	/** Given to the SyncServer: side rows of inbound and queued messages, and the dispatcher's trigger. */
	readonly hooks: readonly SyncHooks[];
	readonly accounts: ChannelAccounts;
	/** Reads and writes docs as the server, keeping busy docs loaded (for the automation as well). */
	readonly docs: DocAccess;
	/** Answers `/webhooks/*`, `/forms/*` and `/media/*`; false for any other path. */
	handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
	/** Resolves once every journaled inbound event of this process is written into the docs (or refused). */
	whenInboundWritten(): Promise<void>;
	/** Picks up what an earlier run left: journaled events to write, queued replies to send, media to fetch. */
	start(): Promise<void>;
	close(): Promise<void>;
}

/** The channels: WhatsApp and Instagram (Meta), phone calls (Twilio), website forms; docs/spec/channels.md. */
export function createChannels(deps: ChannelsDeps): Channels {
	const { settings, store, logger } = deps;
	const sync = { open: (...a: Parameters<SyncServer['open']>) => deps.sync().open(...a) };
	const held = new HeldDocs(sync);
	const docs: DocAccess = { read: (docName, view) => held.read(docName, view), write: (...a) => held.write(...a) };
	const accounts = new ChannelAccounts(store, deps.keyring);
	const rows = new ChannelRows();
	const graph = new GraphClient({ baseUrl: settings.metaGraphUrl, version: settings.metaGraphVersion });
	const media = new MediaVault(store, deps.keyring, docs, logger, async (job) => {
		if (job.provider === 'phone') {
			if (!settings.twilioAuthToken) return { ok: false, code: 'twilio_not_configured', message: 'TWILIO_AUTH_TOKEN is not set' };
			return fetchRecording(job.source, job.accountId, settings.twilioAuthToken);
		}
		if (job.provider === 'instagram') return graph.fetchAttachment(job.source, mediaLimit(job.kind));
		const token = await accounts.tokenOf(job.provider, job.accountId);
		if (!token) return { ok: false, code: 'channel_not_connected', message: 'the account has no token' };
		return graph.fetchMedia(job.source, token, mediaLimit(job.kind));
	});
	const refused = new Counter({
		name: 'frontdesk_inbound_refused_total',
		help: 'Journaled inbound events the domain refused to write (kept in the journal, marked failed)',
		registers: [deps.metrics.registry]
	});
	new Gauge({
		name: 'frontdesk_inbound_backlog',
		help: 'Inbound events journaled and not yet written into the docs',
		registers: [deps.metrics.registry],
		async collect() {
			this.set(await store.inboundJournal.backlog());
		}
	});
	const ingest = new Ingest({
		held,
		rows,
		store,
		keyring: deps.keyring,
		logger,
		media,
		onRefused: () => refused.inc(),
		...(deps.automation ? { automation: deps.automation } : {})
	});
	const journal = new InboundJournal(store, deps.keyring, (events) => ingest.enqueue(events));
	const statuses = new StatusUpdates(docs, store, logger);
	const dispatcher = new Dispatcher({ sync: docs, store, accounts, graph, logger, bootId: randomUUID() });
	const limiter = formLimiter(settings.formsPerMinute);
	const metaDeps = {
		appSecret: settings.metaAppSecret,
		verifyToken: settings.metaVerifyToken,
		accounts,
		journal,
		statuses,
		logger
	};

	const hooks: SyncHooks[] = [
		rows,
		{
			// A reply may have been queued (a device's, the automation's away message): the dispatcher looks.
			onCommitted({ docName, clinicId, kind, origin, coWriters, update }) {
				if (kind !== 'thread' || !mayQueue(update)) return;
				if (origin.source !== 'channel' || coWriters?.some((o) => o.source !== 'channel')) dispatcher.poke(docName, clinicId);
			}
		}
	];

	async function route(req: IncomingMessage, path: string): Promise<Answer> {
		const url = new URL(req.url ?? '/', 'http://localhost');
		const method = req.method ?? 'GET';
		if (path === '/webhooks/meta' && method === 'GET') return verifySubscription(url, settings.metaVerifyToken);
		const formMatch = /^\/forms\/([^/]+)$/.exec(path);
		const isHook = path === '/webhooks/meta' || path === '/webhooks/twilio/voice';
		if ((!isHook && !formMatch) || method !== 'POST') return json(404, { error: 'not found' });
		const limit = formMatch ? settings.formMaxBodyBytes : settings.webhookMaxBodyBytes;
		const raw = await rawBody(req, limit);
		if (raw === null) {
			deps.metrics.limitHits.inc({ limit: formMatch ? 'form_max_body_bytes' : 'webhook_max_body_bytes' });
			logger.warn({ path, limit }, 'webhook body over the limit');
			return { status: 413, tooLarge: limit };
		}
		if (path === '/webhooks/meta') return receiveMeta(raw, req, metaDeps);
		if (path === '/webhooks/twilio/voice')
			return receiveVoice(raw, req, url, {
				authToken: settings.twilioAuthToken,
				publicOrigin: settings.publicOrigin,
				apiUrl: settings.twilioApiUrl,
				accounts,
				journal,
				logger
			});
		// A clinic id is plain letters and digits: nothing to decode (a stray % is just a wrong id, 404).
		return receiveForm(raw, req, formMatch![1], clientAddress(req, deps.trustProxy), {
			store,
			journal,
			logger,
			redirects: settings.formRedirects,
			limiter
		});
	}

	return {
		hooks,
		accounts,
		docs,
		handle(req, res, path) {
			const mediaMatch = /^\/media\/([^/]+)$/.exec(path);
			if (mediaMatch) {
				media.serve(req, res, mediaMatch[1], deps.sessions).catch((error: unknown) => failed(res, path, error));
				return true;
			}
			if (!path.startsWith('/webhooks/') && !path.startsWith('/forms/')) return false;
			route(req, path).then(
				// A 413 closes the connection the way every other one does (HTTP-BODY-1): FIN, then a bounded discard.
				(answer) => (answer.tooLarge ? refuseTooLarge(req, res, answer.tooLarge) : send(res, answer)),
				(error: unknown) => failed(res, path, error)
			);
			return true;
		},
		async start() {
			await Promise.all([dispatcher.start(), media.resume(), ingest.resume()]);
		},
		whenInboundWritten: () => ingest.whenIdle(),
		async close() {
			ingest.close();
			dispatcher.stop();
			await media.settled();
			held.releaseAll();
		}
	};

	function failed(res: ServerResponse, path: string, error: unknown): void {
		// 500: the provider retries later; what failed is logged without the payload.
		logger.error({ path, err: errorMessage(error) }, 'channel request failed');
		if (!res.headersSent) send(res, json(500, { error: 'internal error' }));
		else res.end();
	}
}
