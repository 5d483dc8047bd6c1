import http from 'node:http';

/**
 * The reference: a bare Node HTTP server that reads the body and answers 200 without any work. What a webhook
 * endpoint can at most do on this machine; our figures are read against it.
 */
const server = http.createServer((req, res) => {
	if (req.url === '/healthz') return void res.writeHead(200).end('ok');
	req.resume();
	req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
