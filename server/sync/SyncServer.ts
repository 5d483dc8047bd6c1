import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { refuseDoc, type SessionContext, type Sessions, type SyncTickets } from '../auth/index.ts';
import type { Keyring } from '../crypto/index.ts';
import type { SyncLimits } from '../config/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/index.ts';
import type * as Y from 'yjs';
import { parseDocName, type DocName } from '../../src/lib/domain/docName.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';
import { errorMessage } from '../errors.ts';
import type { SyncHooks } from './hooks.ts';
import { noteRules } from './noteRules.ts';
import { scheduleRules } from './scheduleRules.ts';
import { CloseCode } from '../../src/lib/domain/syncProtocol.ts';
import { mayWriteDoc } from '../../src/lib/domain/roles.ts';
import { authorizeUpgrade } from './authorizeUpgrade.ts';
import { ClinicQuotas } from './ClinicQuotas.ts';
import { Connection, type LimitReporter, type SyncSocket } from './Connection.ts';
import { MuxSocket } from './MuxSocket.ts';
import { DocLog } from './DocLog.ts';
import { GroupCommit } from './GroupCommit.ts';
import { Room, type RoomDeps } from './Room.ts';
import { updateWriters } from './updateWriters.ts';

export interface SyncServerOptions {
	store: Store;
	keyring: Keyring;
	sessions: Sessions;
	tickets: SyncTickets;
	logger: Logger;
	metrics: Metrics;
	origins: readonly string[];
	limits: SyncLimits;
	sessionRecheckMs: number;
	compactAfterUpdates: number;
	/** Features reacting to docs (see hooks.ts); none by default. */
	hooks?: readonly SyncHooks[];
}

/**
 * The server writing into a doc (a channel's message, a job, the calendar), like Hocuspocus's DirectConnection.
 * The doc stays loaded while the handle is held.
 */
export interface DocHandle {
	readonly docName: string;
	/** Applies `edit` in one transaction with the handle's origin; resolves once applied (not yet durable). */
	transact(edit: (doc: Y.Doc) => void): Promise<void>;
	/** Resolves once everything written through this handle is stored; rejects if storing it failed. */
	whenDurable(): Promise<void>;
	/** Lets the doc unload once nobody holds it; the handle cannot write after this. */
	release(): void;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

/**
 * The sync endpoint: authorizes upgrades, keeps one Room per open doc, unloads a room when its last socket
 * leaves (after its last commit), and closes the sockets of ended sessions with 4401.
 */
export class SyncServer {
	readonly #opts: SyncServerOptions;
	readonly #wss: WebSocketServer;
	readonly #rooms = new Map<string, Promise<Room>>();
	readonly #bySession = new Map<string, Set<Connection>>();
	/** Multiplexed sockets by session: closed whole when their session ends or changes (its channels with them). */
	readonly #muxBySession = new Map<string, Set<MuxSocket>>();
	readonly #roomDeps: RoomDeps;
	readonly #commit: GroupCommit<Room>;
	readonly #recheck: NodeJS.Timeout;
	readonly #heartbeat: NodeJS.Timeout;
	readonly #reporter: LimitReporter;
	#stopping = false;

	constructor(opts: SyncServerOptions) {
		this.#opts = opts;
		this.#wss = new WebSocketServer({ noServer: true, maxPayload: opts.limits.maxMessageBytes, perMessageDeflate: false });
		this.#wss.on('error', (error) => opts.logger.error({ err: error.message }, 'websocket server error'));
		const log = new DocLog(opts.store, opts.keyring);
		// Who wrote each update is always kept (SYNC-STORE-6) and the schedule's write rules always hold (SYNC-RULE-1);
		// features add their hooks after them.
		const hooks = [updateWriters, scheduleRules, noteRules, ...(opts.hooks ?? [])];
		this.#commit = new GroupCommit<Room>(log, opts.logger, hooks);
		this.#roomDeps = {
			log,
			commit: this.#commit,
			logger: opts.logger,
			compactAfterUpdates: opts.compactAfterUpdates,
			limits: opts.limits,
			quotas: new ClinicQuotas(opts.store, opts.limits, opts.metrics, opts.logger),
			hooks
		};
		this.#reporter = {
			limits: opts.limits,
			hit: (limit, context) => {
				opts.metrics.limitHits.inc({ limit });
				opts.logger.warn({ limit, ...context }, 'sync limit reached');
			}
		};
		opts.sessions.events.on('ended', (sessionId) => this.#endSession(sessionId));
		opts.sessions.events.on('changed', (sessionId) => this.#reauthorize(sessionId));
		this.#recheck = setInterval(() => void this.#recheckSessions(), opts.sessionRecheckMs);
		this.#recheck.unref();
		this.#heartbeat = setInterval(() => this.#pingAll(), opts.limits.pingIntervalMs);
		this.#heartbeat.unref();
	}

	get stats() {
		let connections = 0;
		for (const set of this.#bySession.values()) connections += set.size;
		return { docs: this.#rooms.size, connections, ...this.#commit.stats };
	}

	async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
		socket.on('error', () => socket.destroy());
		if (this.#stopping) return refuse(socket, 503, 'shutting down');
		let decision;
		try {
			decision = await authorizeUpgrade(req, {
				sessions: this.#opts.sessions,
				tickets: this.#opts.tickets,
				origins: this.#opts.origins
			});
		} catch (error) {
			this.#opts.logger.error({ err: errorMessage(error) }, 'upgrade authorization failed');
			return refuse(socket, 500, 'internal error');
		}
		if (!decision.ok) {
			this.#opts.logger.info({ status: decision.status, reason: decision.reason }, 'sync upgrade refused');
			return refuse(socket, decision.status, decision.reason);
		}
		if ('mux' in decision) {
			const { auth } = decision;
			this.#wss.handleUpgrade(req, socket, head, (ws) => this.#serveMux(ws, auth));
			return;
		}
		const { docName, doc, auth } = decision;
		this.#wss.handleUpgrade(req, socket, head, (ws) => this.#serve(ws, docName, doc, auth));
	}

	/** One doc on one socket: a `/sync/<doc>` socket or a channel of a multiplexed one, served the same way. */
	#serve(socket: SyncSocket, docName: string, doc: DocName, auth: SessionContext): void {
		const conn = new Connection(
			socket,
			{
				sessionId: auth.session.id,
				userId: auth.user.id,
				clinicId: doc.clinicId,
				docName,
				role: auth.user.role,
				mayWrite: false
			},
			this.#opts.logger,
			this.#reporter
		);
		conn.identity.mayWrite =
			mayWriteDoc(auth.user.role, doc.kind) && this.#roomDeps.hooks.every((hook) => hook.mayWrite?.(conn.identity) ?? true);
		if (!this.#track(conn)) return;
		this.#withRoom(docName, doc.clinicId, (room) => conn.attach(room)).catch((error: unknown) => {
			this.#opts.logger.error({ doc: docName, err: errorMessage(error) }, 'loading doc failed');
			conn.close(CloseCode.internalError, 'doc could not be loaded');
		});
	}

	/**
	 * A multiplexed socket (SYNC-MUX-1): each channel's doc is authorized as an upgrade to `/sync/<doc>` would be
	 * (clinic, role) and then served by `#serve`; a refused channel is closed with the upgrade's refusal as a code.
	 */
	#serveMux(ws: WebSocket, auth: SessionContext): void {
		const limits = { maxChannels: this.#opts.limits.maxDocsPerMux, maxBufferedBytes: this.#opts.limits.maxBufferedBytes };
		const mux = new MuxSocket(
			ws,
			auth.session.id,
			(channel, docName) => {
				const doc = parseDocName(docName);
				if (!doc) return channel.close(CloseCode.badMessage, 'malformed doc name');
				const refusal = refuseDoc(auth.user, doc);
				if (refusal) return channel.close(CloseCode.forbidden, refusal);
				this.#serve(channel, docName, doc, auth);
			},
			limits,
			this.#opts.logger
		);
		let set = this.#muxBySession.get(auth.session.id);
		if (!set) this.#muxBySession.set(auth.session.id, (set = new Set()));
		set.add(mux);
		void mux.closedPromise.then(() => {
			set.delete(mux);
			if (set.size === 0) this.#muxBySession.delete(auth.session.id);
		});
	}

	/**
	 * Counts the socket against its session's caps; past one it is closed with 4429 (the device backs off and
	 * retries), which a browser sees where it would not see an HTTP status of a refused upgrade.
	 */
	#track(conn: Connection): boolean {
		const { sessionId, docName } = conn.identity;
		const { maxSocketsPerSession, maxSocketsPerSessionDoc } = this.#opts.limits;
		let set = this.#bySession.get(sessionId);
		if (set && set.size >= maxSocketsPerSession) {
			conn.refuse('sync_max_sockets_per_session', CloseCode.tooManyRequests, 'too many sockets for this session');
			return false;
		}
		let onDoc = 0;
		for (const other of set ?? []) if (other.identity.docName === docName) onDoc++;
		if (onDoc >= maxSocketsPerSessionDoc) {
			conn.refuse('sync_max_sockets_per_session_doc', CloseCode.tooManyRequests, 'too many sockets on this doc');
			return false;
		}
		if (!set) this.#bySession.set(sessionId, (set = new Set()));
		set.add(conn);
		void conn.closedPromise.then(() => {
			set.delete(conn);
			if (set.size === 0) this.#bySession.delete(sessionId);
			void this.#maybeUnload(conn.identity.docName);
		});
		return true;
	}

	#pingAll(): void {
		for (const conns of this.#bySession.values()) for (const conn of conns) conn.heartbeat();
		for (const muxes of this.#muxBySession.values()) for (const mux of muxes) mux.heartbeat();
	}

	/**
	 * Runs `use` on the doc's open room, loading it if needed. `use` runs synchronously once the room is known to
	 * be open, so an unload cannot slip in between; a room closed meanwhile is loaded anew.
	 */
	async #withRoom<T>(docName: string, clinicId: string, use: (room: Room) => T): Promise<T> {
		for (;;) {
			let pending = this.#rooms.get(docName);
			if (!pending) {
				const loading = Room.load(docName, clinicId, this.#roomDeps);
				pending = loading;
				this.#rooms.set(docName, loading);
				loading.catch(() => {
					if (this.#rooms.get(docName) === loading) this.#rooms.delete(docName);
				});
			}
			const room = await pending;
			if (!room.closed) return use(room);
			if (this.#rooms.get(docName) === pending) this.#rooms.delete(docName);
		}
	}

	/**
	 * A handle to write into a doc as the server, with `origin` saying who (a channel, Google, a job), so reactions
	 * never answer themselves and every stored update names its writer.
	 */
	async open(docName: string, origin: TransactionOrigin): Promise<DocHandle> {
		const parsed = parseDocName(docName);
		if (!parsed) throw new Error(`not a valid doc name: ${docName}`);
		const room = await this.#withRoom(docName, parsed.clinicId, (r) => {
			r.hold();
			return r;
		});
		let written = 0;
		let released = false;
		return {
			docName,
			transact: async (edit) => {
				if (released) throw new Error(`the handle on ${docName} was released`);
				// Not while the doc is being rebuilt after a bad update: the edit would go to the old copy.
				await room.settled();
				if (room.closed) throw new Error(`doc ${docName} was closed (its storage failed); open it again`);
				room.doc.transact(() => edit(room.doc), origin);
				written = room.lastEnqueued;
			},
			whenDurable: () => room.whenStored(written),
			release: () => {
				if (released) return;
				released = true;
				room.unhold();
				void this.#maybeUnload(docName);
			}
		};
	}

	/** What `view` reads from a doc's current state (the doc is loaded for the read if no one holds it). */
	async read<T>(docName: string, view: (doc: Y.Doc) => T): Promise<T> {
		const handle = await this.open(docName, { source: 'job', name: 'read' });
		try {
			let result: T | undefined;
			// An empty transaction stores nothing; it is the handle's one way to reach the doc once it is settled.
			await handle.transact((doc) => {
				result = view(doc);
			});
			return result as T;
		} finally {
			handle.release();
		}
	}

	/** One edit as the server, resolved once it is stored (rejected if it was not). */
	async write(docName: string, origin: TransactionOrigin, edit: (doc: Y.Doc) => void): Promise<void> {
		const handle = await this.open(docName, origin);
		try {
			await handle.transact(edit);
			await handle.whenDurable();
		} finally {
			handle.release();
		}
	}

	/** Unload only after the last commit and compaction succeeded, and only if still nobody joined meanwhile. */
	async #maybeUnload(docName: string): Promise<void> {
		const pending = this.#rooms.get(docName);
		if (!pending) return;
		const room = await pending.catch(() => null);
		if (!room || room.connections.size > 0) return;
		await this.#commit.idle();
		await room.compact();
		if (room.connections.size > 0 || room.busy || this.#rooms.get(docName) !== pending) return;
		this.#rooms.delete(docName);
		room.close();
	}

	/** The session's user now has other rights: its sockets reconnect and are authorized again. */
	#reauthorize(sessionId: string): void {
		for (const conn of [...(this.#bySession.get(sessionId) ?? [])]) conn.close(CloseCode.resync, 'access changed');
		// The socket itself was authorized with the old role: the device opens a new one.
		for (const mux of this.#muxBySession.get(sessionId) ?? []) mux.close(CloseCode.resync, 'access changed');
	}

	#endSession(sessionId: string): void {
		for (const conn of [...(this.#bySession.get(sessionId) ?? [])]) conn.close(CloseCode.unauthenticated, 'session ended');
		for (const mux of this.#muxBySession.get(sessionId) ?? []) mux.close(CloseCode.unauthenticated, 'session ended');
	}

	async #recheckSessions(): Promise<void> {
		const ids = [...new Set([...this.#bySession.keys(), ...this.#muxBySession.keys()])];
		if (ids.length === 0) return;
		try {
			const live = await this.#opts.sessions.live(ids);
			for (const id of ids) if (!live.has(id)) this.#endSession(id);
		} catch (error) {
			this.#opts.logger.error({ err: errorMessage(error) }, 'session recheck failed');
		}
	}

	/** Stops accepting, closes every socket, waits for the last commit, compacts and unloads every doc. */
	async close(): Promise<void> {
		this.#stopping = true;
		clearInterval(this.#recheck);
		clearInterval(this.#heartbeat);
		for (const conns of this.#bySession.values())
			for (const conn of conns) conn.close(CloseCode.goingAway, 'server shutting down');
		for (const muxes of this.#muxBySession.values())
			for (const mux of muxes) mux.close(CloseCode.goingAway, 'server shutting down');
		await this.#commit.idle();
		for (const [name, pending] of [...this.#rooms]) {
			const room = await pending.catch(() => null);
			if (room) {
				await room.compact();
				room.close();
			}
			this.#rooms.delete(name);
		}
		this.#wss.close();
	}
}

function refuse(socket: Duplex, status: number, reason: string): void {
	const body = JSON.stringify({ error: reason });
	socket.end(
		`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
			`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
	);
}
