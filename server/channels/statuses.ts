import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { SyncServer } from '../sync/index.ts';
import { parseDocName } from '../../src/lib/domain/docName.ts';
import { findByProviderId, readEntries, setDeliveryStatus, setProviderMessageId } from '../../src/lib/domain/thread.ts';
import type { StatusEvent } from './types.ts';

/**
 * Delivery statuses from the provider move our reply forward only (CHAN-STATUS-1): the reply is found by the
 * provider's message id through the claim that sent it; a status of a message we did not send is ignored.
 */
export class StatusUpdates {
	readonly #sync: Pick<SyncServer, 'write'>;
	readonly #store: Pick<Store, 'outbox'>;
	readonly #logger: Logger;

	constructor(sync: Pick<SyncServer, 'write'>, store: Pick<Store, 'outbox'>, logger: Logger) {
		this.#sync = sync;
		this.#store = store;
		this.#logger = logger;
	}

	async apply(clinicId: string, event: StatusEvent): Promise<void> {
		const sent = await this.#store.outbox.docOfSent(event.messageId);
		if (!sent || parseDocName(sent.docName)?.clinicId !== clinicId) {
			this.#logger.info({ clinicId, provider: event.provider, status: event.status }, 'status of an unknown message');
			return;
		}
		await this.#sync.write(sent.docName, { source: 'channel', provider: event.provider }, (doc) => {
			// The status may come before the dispatcher wrote the provider's id into the doc: the claim knows the entry.
			const entry = findByProviderId(doc, event.messageId) ?? readEntries(doc).find((e) => e.id === sent.entryId);
			if (!entry || entry.direction !== 'out') return;
			if (!entry.providerMessageId) setProviderMessageId(doc, entry.id, event.messageId);
			setDeliveryStatus(doc, entry.id, event.status, event.error);
		});
	}
}
