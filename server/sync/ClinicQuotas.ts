import type { SyncLimits } from '../config/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/index.ts';
import { errorMessage } from '../errors.ts';

export type QuotaVerdict = 'ok' | 'clinic_max_docs' | 'clinic_max_stored_bytes';

interface Usage {
	docs: number;
	bytes: number;
	refreshedAt: number;
	/** Quotas past their warning share, so the warning is logged once per crossing, not per write. */
	warned: Set<string>;
	/** Shares last put on the gauge: it is set again only when one moves by a tenth of a percent or more. */
	shown: Record<string, number>;
}

/** How often a clinic's usage is re-read from the store after compactions shrank it. */
const REFRESH_MS = 60_000;

/**
 * Per-clinic bounds on stored docs and bytes. Usage is read from the store once per clinic, then kept current
 * from the commits; compactions (which shrink it) trigger a re-read at most once a minute.
 */
export class ClinicQuotas {
	readonly #usage = new Map<string, Promise<Usage>>();
	/** The same usage once read: the commit path checks and updates it synchronously. */
	readonly #settled = new Map<string, Usage>();
	readonly #store: Pick<Store, 'docs'>;
	readonly #limits: SyncLimits;
	readonly #metrics: Metrics;
	readonly #logger: Logger;

	constructor(store: Pick<Store, 'docs'>, limits: SyncLimits, metrics: Metrics, logger: Logger) {
		this.#store = store;
		this.#limits = limits;
		this.#metrics = metrics;
		this.#logger = logger;
	}

	/** Reads the clinic's usage if it is not known yet; a doc of the clinic awaits it before it takes writes. */
	prepare(clinicId: string): Promise<void> {
		return this.#load(clinicId).then(() => undefined);
	}

	#load(clinicId: string): Promise<Usage> {
		let usage = this.#usage.get(clinicId);
		if (!usage) {
			usage = this.#store.docs.clinicUsage(clinicId).then((u) => {
				const loaded = { ...u, refreshedAt: Date.now(), warned: new Set<string>(), shown: {} };
				this.#report(clinicId, loaded);
				return loaded;
			});
			usage.catch(() => this.#usage.delete(clinicId));
			this.#usage.set(clinicId, usage);
		}
		return usage;
	}

	/** May the clinic take more writes — into a doc that `isNew` (nothing stored yet) or an existing one? */
	check(clinicId: string, isNew: boolean): QuotaVerdict {
		const usage = this.#settled.get(clinicId);
		if (!usage) return 'ok';
		if (usage.bytes >= this.#limits.clinicMaxStoredBytes) return 'clinic_max_stored_bytes';
		if (isNew && usage.docs >= this.#limits.clinicMaxDocs) return 'clinic_max_docs';
		return 'ok';
	}

	/** Records what a commit stored for the clinic. */
	stored(clinicId: string, bytes: number, newDoc: boolean): void {
		const usage = this.#settled.get(clinicId);
		if (!usage) return;
		usage.bytes += bytes;
		if (newDoc) usage.docs++;
		this.#report(clinicId, usage);
	}

	/** A doc was compacted: usage shrank by an amount only the store knows; re-read it now and then. */
	compacted(clinicId: string): void {
		const usage = this.#settled.get(clinicId);
		if (!usage || Date.now() - usage.refreshedAt < REFRESH_MS) return;
		usage.refreshedAt = Date.now();
		this.#store.docs.clinicUsage(clinicId).then(
			(u) => {
				usage.docs = u.docs;
				usage.bytes = u.bytes;
				this.#report(clinicId, usage);
			},
			(error: unknown) => this.#logger.warn({ clinicId, err: errorMessage(error) }, 'usage refresh failed')
		);
	}

	#report(clinicId: string, usage: Usage): void {
		this.#settled.set(clinicId, usage);
		const shares = {
			docs: usage.docs / this.#limits.clinicMaxDocs,
			stored_bytes: usage.bytes / this.#limits.clinicMaxStoredBytes
		};
		for (const [quota, share] of Object.entries(shares)) {
			if (Math.abs(share - (usage.shown[quota] ?? -1)) < 0.001) continue;
			usage.shown[quota] = share;
			this.#metrics.quotaUse.set({ clinic: clinicId, quota }, share);
			const near = share >= this.#limits.quotaWarnRatio;
			if (near && !usage.warned.has(quota)) {
				usage.warned.add(quota);
				this.#logger.warn({ clinicId, quota, share: Number(share.toFixed(3)) }, 'clinic is near its quota');
			} else if (!near) usage.warned.delete(quota);
		}
	}
}
