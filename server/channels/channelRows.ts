import type * as Y from 'yjs';
import type { SideRow } from '../store/index.ts';
import type { DocHandle, SyncHooks } from '../sync/index.ts';
import { parseDocName } from '../../src/lib/domain/docName.ts';

const QUEUED = Buffer.from('queued');

/**
 * The channels' side rows (docs/spec/channels.md): the provider message ids an inbound write records
 * (CHAN-DEDUPE-1), and the outbox mark of a thread doc a device queued a reply in (CHAN-DISPATCH-3), each stored
 * in the savepoint of the update it belongs to.
 */
export class ChannelRows implements SyncHooks {
	/** Keyed by the update's own bytes (the object Yjs hands every listener): rows never attach to another update. */
	readonly #byUpdate = new WeakMap<Uint8Array, readonly SideRow[]>();

	rowsFor({ docName, update, origin }: Parameters<NonNullable<SyncHooks['rowsFor']>>[0]): readonly SideRow[] {
		const rows = this.#byUpdate.get(update) ?? [];
		// An update that may queue a reply (a device's queueReply or retryReply, the automation's away message): a
		// false positive costs the dispatcher one look at the doc. The channels' own writes never queue.
		if (origin.source !== 'channel' && parseDocName(docName)?.kind === 'thread' && mayQueue(update))
			return [...rows, { kind: 'outbox' }];
		return rows;
	}

	/** Applies `edit` through the handle; `rows` are stored with exactly the update it makes. */
	async transact(handle: DocHandle, rows: readonly SideRow[], edit: (doc: Y.Doc) => void): Promise<void> {
		let target: Y.Doc | null = null;
		const capture = (update: Uint8Array) => this.#byUpdate.set(update, rows);
		try {
			await handle.transact((doc) => {
				target = doc;
				// Yjs emits 'update' as the transaction ends, to listeners registered by then.
				doc.on('update', capture);
				edit(doc);
			});
		} finally {
			(target as Y.Doc | null)?.off('update', capture);
		}
	}
}

/** Whether an update may write the status 'queued': Yjs encodes strings whole, so a reply queued is never missed. */
export function mayQueue(update: Uint8Array): boolean {
	return Buffer.from(update.buffer, update.byteOffset, update.byteLength).includes(QUEUED);
}
