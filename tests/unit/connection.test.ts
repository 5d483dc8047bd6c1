import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { loadConfig } from '../../server/config/index.ts';
import { Connection, type LimitReporter } from '../../server/sync/Connection.ts';

/** The part of a `ws` socket a Connection uses, recording what the server did to it. */
class FakeSocket extends EventEmitter {
	readyState = 1;
	bufferedAmount = 0;
	binaryType = 'nodebuffer';
	closedWith: number | null = null;
	terminated = false;
	pings = 0;
	sent: Uint8Array[] = [];
	send(data: Uint8Array) {
		this.sent.push(data);
	}
	close(code: number) {
		this.closedWith = code;
		this.readyState = 2;
	}
	terminate() {
		this.terminated = true;
		this.readyState = 3;
	}
	ping() {
		this.pings++;
	}
}

function connect(limits: Partial<ReturnType<typeof loadConfig>['sync']> = {}) {
	const socket = new FakeSocket();
	const hits: string[] = [];
	const reporter: LimitReporter = {
		limits: { ...loadConfig({}).sync, ...limits },
		hit: (limit) => hits.push(limit)
	};
	const identity = { sessionId: 's', userId: 'u', clinicId: 'c', docName: 'c/inbox', role: 'admin' as const, mayWrite: true };
	const conn = new Connection(socket as unknown as WebSocket, identity, pino({ level: 'silent' }), reporter);
	return { socket, conn, hits };
}

describe('SYNC-LIMIT-4: what a socket sends while its doc loads is bounded', () => {
	it('closes the socket with 1013 once the backlog passes SYNC_MAX_BACKLOG_BYTES, and counts it', () => {
		const { socket, hits } = connect({ maxBacklogBytes: 64 * 1024 });
		for (let i = 0; i < 15; i++) socket.emit('message', Buffer.alloc(4096, 1), true);
		expect(socket.closedWith).toBeNull();
		for (let i = 0; i < 2; i++) socket.emit('message', Buffer.alloc(4096, 1), true);
		expect(socket.closedWith).toBe(1013);
		expect(hits).toEqual(['sync_max_backlog_bytes']);
	});
});

describe('SYNC-LIMIT-1: nothing more is queued for a socket that does not read', () => {
	it('closes with 1013 instead of sending past SYNC_MAX_BUFFERED_BYTES', () => {
		const { socket, conn, hits } = connect({ maxBufferedBytes: 64 * 1024 });
		conn.send(Uint8Array.of(1));
		socket.bufferedAmount = 64 * 1024 + 1;
		conn.send(Uint8Array.of(2));
		expect(socket.sent).toHaveLength(1);
		expect(socket.closedWith).toBe(1013);
		expect(hits).toEqual(['sync_max_buffered_bytes']);
	});
});

describe('SYNC-LIMIT-3: a socket that misses a ping is cut', () => {
	it('pings, and terminates when the previous ping had no pong', () => {
		const { socket, conn } = connect();
		conn.heartbeat();
		expect(socket.pings).toBe(1);
		socket.emit('pong');
		conn.heartbeat();
		expect(socket.terminated).toBe(false);
		conn.heartbeat();
		expect(socket.terminated).toBe(true);
	});
});
