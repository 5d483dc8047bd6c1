import type { IncomingMessage, ServerResponse } from 'node:http';
import { open, seal, type Keyring } from '../crypto/index.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { MediaJobRow, Store } from '../store/index.ts';
import type { SyncServer } from '../sync/index.ts';
import { readCookie, SESSION_COOKIE, type Sessions } from '../auth/index.ts';
import { isId } from '../../src/lib/domain/docName.ts';
import { newId } from '../../src/lib/domain/ids.ts';
import { readEntries, setEntryMedia, type EntryMedia } from '../../src/lib/domain/thread.ts';

export { MEDIA_LIMITS } from './mediaLimits.ts';

const mediaAad = (clinicId: string, mediaId: string) => `frontdesk:v1:media:${clinicId}:${mediaId}`;
const sourceAad = (job: Pick<MediaJobRow, 'clinicId' | 'docName' | 'entryId'>) =>
	`frontdesk:v1:media-source:${job.clinicId}:${job.docName}:${job.entryId}`;
/** Sources written before they were sealed have no prefix and are read as they are. */
const SEALED = 'sealed:';

export type Fetched = { ok: true; data: Buffer; mime: string } | { ok: false; code: string; message: string };

/** Fetches a job's file from its provider (Graph API with the account's token, Twilio with basic auth). */
export type MediaFetcher = (job: MediaJobRow) => Promise<Fetched>;

/**
 * Media of inbound messages: stored sealed with the clinic's data key (CHAN-MEDIA-3) and served only to signed-in
 * staff of that clinic (CHAN-MEDIA-4). A message is stored first with its media pending, so the webhook's answer
 * never waits for a download; the file is fetched after and filled in (or an error recorded on the entry).
 */
export class MediaVault {
	readonly #store: Pick<Store, 'media'>;
	readonly #keyring: Keyring;
	readonly #sync: Pick<SyncServer, 'write'>;
	readonly #logger: Logger;
	readonly #running = new Set<Promise<void>>();
	readonly #fetcher: MediaFetcher;

	constructor(
		store: Pick<Store, 'media'>,
		keyring: Keyring,
		sync: Pick<SyncServer, 'write'>,
		logger: Logger,
		fetcher: MediaFetcher
	) {
		this.#store = store;
		this.#keyring = keyring;
		this.#sync = sync;
		this.#logger = logger;
		this.#fetcher = fetcher;
	}

	async put(clinicId: string, data: Buffer, mime: string, filename: string | null): Promise<string> {
		const id = newId();
		const key = await this.#keyring.dataKey(clinicId);
		await this.#store.media.insert({
			id,
			clinicId,
			mime,
			bytes: data.length,
			filename,
			data: seal(key, data, mediaAad(clinicId, id)),
			createdAt: Date.now()
		});
		return id;
	}

	/**
	 * Records the job, then fetches in the background: a job is kept in the store until its outcome is in the doc,
	 * so a restart picks up what a crash interrupted (`resume`).
	 */
	async fetchLater(job: MediaJobRow): Promise<void> {
		// Where the file is can be a capability (an Instagram CDN URL opens the patient's photo): sealed at rest.
		const key = await this.#keyring.dataKey(job.clinicId);
		const source = SEALED + seal(key, Buffer.from(job.source, 'utf8'), sourceAad(job)).toString('base64');
		await this.#store.media.addJob({ ...job, source });
		this.#start(job);
	}

	/** At start: every job an earlier run left. */
	async resume(): Promise<void> {
		for (const job of await this.#store.media.jobs()) {
			if (!job.source.startsWith(SEALED)) this.#start(job);
			else {
				const key = await this.#keyring.dataKey(job.clinicId);
				const source = open(key, Buffer.from(job.source.slice(SEALED.length), 'base64'), sourceAad(job)).toString('utf8');
				this.#start({ ...job, source });
			}
		}
	}

	#start(job: MediaJobRow): void {
		const run = this.#fetch(job).catch((error: unknown) =>
			this.#logger.error({ clinicId: job.clinicId, entryId: job.entryId, err: errorMessage(error) }, 'media fetch failed')
		);
		this.#running.add(run);
		void run.finally(() => this.#running.delete(run));
	}

	/** Waits for every fetch started (shutdown, tests). */
	async settled(): Promise<void> {
		await Promise.all([...this.#running]);
	}

	async #fetch(job: MediaJobRow): Promise<void> {
		const origin = { source: 'channel', provider: job.provider } as const;
		let fetched: Fetched;
		try {
			fetched = await this.#fetcher(job);
		} catch (error) {
			fetched = { ok: false, code: 'media_fetch_failed', message: errorMessage(error).slice(0, 200) };
		}
		let media: EntryMedia | null = null;
		if (fetched.ok) {
			const mime = fetched.mime || job.mime;
			const mediaId = await this.put(job.clinicId, fetched.data, mime, null);
			media = { mediaId, mime, bytes: fetched.data.length, filename: null };
		} else this.#logger.warn({ clinicId: job.clinicId, entryId: job.entryId, code: fetched.code }, 'media refused');
		const error = fetched.ok ? undefined : { code: fetched.code, message: fetched.message };
		await this.#sync.write(job.docName, origin, (doc) => {
			// The entry may be gone (a thread merged away meanwhile): nothing to fill in.
			const entry = readEntries(doc).find((e) => e.id === job.entryId);
			// The file's name was written with the message (sealed in the doc); the fetched file keeps it.
			if (entry) setEntryMedia(doc, job.entryId, media && { ...media, filename: entry.media?.filename ?? null }, error);
		});
		await this.#store.media.removeJob(job.docName, job.entryId);
		if (media)
			this.#logger.info(
				{ clinicId: job.clinicId, entryId: job.entryId, mediaId: media.mediaId, bytes: media.bytes },
				'media stored'
			);
	}

	/** `GET /media/<id>`: the file to a signed-in member of its clinic; anything else is 404, saying nothing. */
	async serve(req: IncomingMessage, res: ServerResponse, mediaId: string, sessions: Sessions): Promise<void> {
		const notFound = () => res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('Not found');
		if (req.method !== 'GET' && req.method !== 'HEAD') return void notFound();
		const token = readCookie(req.headers.cookie, SESSION_COOKIE);
		const auth = token ? await sessions.validateToken(token) : null;
		if (!auth || !isId(mediaId)) return void notFound();
		const row = await this.#store.media.get(mediaId);
		if (!row || row.clinicId !== auth.user.clinicId) return void notFound();
		const data = open(await this.#keyring.dataKey(row.clinicId), row.data, mediaAad(row.clinicId, row.id));
		const name = (row.filename ?? `${row.id}`).replace(/[^\w.\- ]/g, '_');
		res.writeHead(200, {
			'content-type': row.mime,
			'content-length': data.length,
			'content-disposition': `${row.mime.startsWith('image/') || row.mime.startsWith('audio/') || row.mime.startsWith('video/') ? 'inline' : 'attachment'}; filename="${name}"`,
			'x-content-type-options': 'nosniff',
			'cache-control': 'private, max-age=3600'
		});
		res.end(req.method === 'HEAD' ? undefined : data);
	}
}
