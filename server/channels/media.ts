import type { IncomingMessage, ServerResponse } from 'node:http';
import { open, seal, type Keyring } from '../crypto/index.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { SyncServer } from '../sync/index.ts';
import { readCookie, SESSION_COOKIE, type Sessions } from '../auth/index.ts';
import { isId } from '../../src/lib/domain/docName.ts';
import { newId } from '../../src/lib/domain/ids.ts';
import { setEntryMedia } from '../../src/lib/domain/thread.ts';

/** Meta's documented upper bounds per media type (CHAN-MEDIA-2); other types get the document bound. */
export const MEDIA_LIMITS: Record<string, number> = {
	audio: 16 * 1024 * 1024,
	image: 5 * 1024 * 1024,
	video: 16 * 1024 * 1024,
	document: 100 * 1024 * 1024,
	sticker: 500 * 1024
};

const mediaAad = (clinicId: string, mediaId: string) => `frontdesk:v1:media:${clinicId}:${mediaId}`;

/** A file to fetch for an entry already stored with its media pending. */
export interface MediaJob {
	provider: 'whatsapp' | 'instagram' | 'phone';
	clinicId: string;
	docName: string;
	entryId: string;
	mime: string;
	filename: string | null;
	fetch(): Promise<{ ok: true; data: Buffer; mime: string } | { ok: false; code: string; message: string }>;
}

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

	constructor(store: Pick<Store, 'media'>, keyring: Keyring, sync: Pick<SyncServer, 'write'>, logger: Logger) {
		this.#store = store;
		this.#keyring = keyring;
		this.#sync = sync;
		this.#logger = logger;
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

	/** Fetches in the background; `settled()` waits for every fetch started (shutdown, tests). */
	fetchLater(job: MediaJob): void {
		const run = this.#fetch(job).catch((error: unknown) =>
			this.#logger.error({ clinicId: job.clinicId, entryId: job.entryId, err: errorMessage(error) }, 'media fetch failed')
		);
		this.#running.add(run);
		void run.finally(() => this.#running.delete(run));
	}

	async settled(): Promise<void> {
		await Promise.all([...this.#running]);
	}

	async #fetch(job: MediaJob): Promise<void> {
		const origin = { source: 'channel', provider: job.provider } as const;
		let fetched;
		try {
			fetched = await job.fetch();
		} catch (error) {
			fetched = { ok: false as const, code: 'media_fetch_failed', message: errorMessage(error).slice(0, 200) };
		}
		if (!fetched.ok) {
			this.#logger.warn({ clinicId: job.clinicId, entryId: job.entryId, code: fetched.code }, 'media refused');
			const { code, message } = fetched;
			await this.#sync.write(job.docName, origin, (doc) => setEntryMedia(doc, job.entryId, null, { code, message }));
			return;
		}
		const mime = fetched.mime || job.mime;
		const mediaId = await this.put(job.clinicId, fetched.data, mime, job.filename);
		await this.#sync.write(job.docName, origin, (doc) =>
			setEntryMedia(doc, job.entryId, { mediaId, mime, bytes: fetched.data.length, filename: job.filename })
		);
		this.#logger.info({ clinicId: job.clinicId, entryId: job.entryId, mediaId, bytes: fetched.data.length }, 'media stored');
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
