import type * as Y from 'yjs';
import type { DocKind } from '../../src/lib/domain/docName.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import type { SideRow } from '../store/index.ts';
import type { ConnectionIdentity } from './Connection.ts';

/** An update with who wrote it: about to be stored (`rowsFor`) or durable (`onCommitted`). */
export interface CommittedUpdate {
	docName: string;
	clinicId: string;
	update: Uint8Array;
	origin: TransactionOrigin;
}

/**
 * How a feature reacts to docs without touching the room or the group commit (like Hocuspocus's extension
 * hooks). Hooks run on the commit path: they must be quick and must not throw (a throw is logged and ignored,
 * except in `rowsFor`); work that writes back into a doc goes through `SyncServer.open` later, never
 * synchronously from a hook.
 */
export interface SyncHooks {
	/** A doc was read from the store, before any socket or handle uses it. */
	onLoaded?(loaded: { docName: string; clinicId: string; kind: DocKind; doc: Y.Doc }): void;
	/**
	 * Rows that belong to this update (a provider message id, an outbox claim, an audit row, a projection): stored
	 * in the same transaction and savepoint as its record, so neither exists without the other. A throw, or a row
	 * the store refuses (e.g. a duplicate message id), fails that doc's commit: its update is not stored either.
	 */
	rowsFor?(update: CommittedUpdate): readonly SideRow[];
	/**
	 * An update became durable; called in commit order, before it is relayed. `origin` is its (first) writer;
	 * `coWriters` the other sockets whose updates were applied in the same transaction, when there were any.
	 */
	onCommitted?(committed: CommittedUpdate & { kind: DocKind; coWriters?: readonly TransactionOrigin[] }): void;
	/** May this socket write its doc? Asked once per socket, after the role's rule; false makes it read-only. */
	mayWrite?(identity: ConnectionIdentity): boolean;
	/**
	 * Checks one socket's update as applied (its own Yjs transaction, before anything is stored or relayed) for
	 * rules that depend on who writes what. Throwing a `WriteRefused` refuses the whole update: its sender is
	 * closed with the reason and the doc is rebuilt from the store, as for an update that fails to apply.
	 */
	/**
	 * The doc kinds `checkWrite` looks at (absent: every kind). Only those kinds pay for a transaction per socket;
	 * the others' updates of one turn are applied together, as one transaction.
	 */
	writeRuleKinds?: readonly DocKind[];
	checkWrite?(write: {
		docName: string;
		clinicId: string;
		kind: DocKind;
		transaction: Y.Transaction;
		identity: ConnectionIdentity;
	}): void;
}

/** A hook's refusal of a socket's update; its message is the close reason the device sees. */
export class WriteRefused extends Error {
	override name = 'WriteRefused';
}
