import pino from 'pino';
import type * as Y from 'yjs';
import { Sessions, SyncTickets } from '../../server/auth/index.ts';
import { openStoreAndKeys } from '../../server/boot.ts';
import { loadConfig } from '../../server/config/index.ts';
import { createMetrics } from '../../server/metrics.ts';
import { SyncServer } from '../../server/sync/index.ts';
import {
	busyEventKey,
	busyMonths,
	busyPieces,
	recordLostVersion,
	setBusyPieces,
	type LostVersion
} from '../../src/lib/domain/calendarBusy.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { scheduleDoc } from '../../src/lib/domain/schedule.ts';
import type { ServerEnv } from './server.ts';

/** The origin the calendar worker writes with (`server/calendar/`). */
const CALENDAR_ORIGIN: TransactionOrigin = { source: 'job', name: 'google-calendar' };

/**
 * Writes into a clinic's month docs what the calendar worker writes there, the way it does: through the server's
 * own `SyncServer.write` on the server's store (the same env: data folder and master key), with the worker's
 * origin and the domain's calls (`setBusyPieces`, `recordLostVersion`), so the stored update passes the same
 * rules and hooks. Devices cannot write these keys (the schedule's write rules refuse them).
 *
 * Only while the server process is stopped: a running server holding the doc would neither see this update nor
 * relay it. Start it again on the same port afterwards; devices catch up when they reconnect.
 */
export class CalendarWrites {
	readonly #sync: SyncServer;
	readonly #close: () => Promise<void>;

	private constructor(sync: SyncServer, close: () => Promise<void>) {
		this.#sync = sync;
		this.#close = close;
	}

	static async open(env: ServerEnv): Promise<CalendarWrites> {
		const config = loadConfig({ ...env });
		const { store, keyring } = await openStoreAndKeys(config);
		const sessions = new Sessions(store);
		const sync = new SyncServer({
			store,
			keyring,
			sessions,
			tickets: new SyncTickets(store),
			logger: pino({ level: 'silent' }),
			metrics: createMetrics(),
			origins: [],
			limits: config.sync,
			sessionRecheckMs: 60_000,
			compactAfterUpdates: config.compactAfterUpdates
		});
		return new CalendarWrites(sync, async () => {
			await sync.close();
			await store.close();
		});
	}

	/**
	 * A Google event of the practitioner's own (`start`, `end`: clinic wall times `YYYY-MM-DDTHH:mm`, end exclusive)
	 * written as busy blocks, a piece per day in each month it covers.
	 */
	async busy(clinicId: string, practitionerId: string, eventId: string, start: string, end: string): Promise<void> {
		const key = busyEventKey(eventId);
		const pieces = busyPieces(key, practitionerId, start, end);
		for (const month of busyMonths(pieces)) {
			const name = docNames.schedule(clinicId, month);
			await this.#sync.write(name, CALENDAR_ORIGIN, (doc: Y.Doc) => setBusyPieces(scheduleDoc(name, doc), key, pieces));
		}
	}

	/** Google's version of an appointment (in `month`) that lost to the book's. */
	async lostVersion(clinicId: string, month: string, appointmentId: string, lost: LostVersion): Promise<void> {
		const name = docNames.schedule(clinicId, month);
		await this.#sync.write(name, CALENDAR_ORIGIN, (doc: Y.Doc) => recordLostVersion(scheduleDoc(name, doc), appointmentId, lost));
	}

	close(): Promise<void> {
		return this.#close();
	}
}
