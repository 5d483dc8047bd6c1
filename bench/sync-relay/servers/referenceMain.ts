import http from 'node:http';
import { WebSocketServer } from 'ws';
import { setupWSConnection } from '@y/websocket-server/utils';

/**
 * The reference relay, run as its own process by the benchmark: @y/websocket-server's connection handler
 * as its own bin wires it (doc name = URL path, no auth, no persistence since YPERSISTENCE is unset),
 * but on the project's ws 8 rather than the package's bundled ws 6, so both servers share one socket layer.
 */
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const server = http.createServer((_req, res) => {
	res.writeHead(200, { 'content-type': 'text/plain' }).end('okay');
});
server.on('upgrade', (req, socket, head) => {
	wss.handleUpgrade(req, socket, head, (ws) => setupWSConnection(ws, req));
});
server.listen(Number(process.env.PORT ?? 1234), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => {
	for (const ws of wss.clients) ws.terminate();
	server.close(() => process.exit(0));
});
