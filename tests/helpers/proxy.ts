import net from 'node:net';

/**
 * A TCP proxy in front of the server, so a test can cut a browser's network for real: Chromium's offline switch
 * does not close a websocket that is already open.
 */
export class CuttableProxy {
	readonly port: number;
	readonly #target: number;
	#server: net.Server | null = null;
	readonly #sockets = new Set<net.Socket>();

	private constructor(port: number, target: number) {
		this.port = port;
		this.#target = target;
	}

	static async start(target: number): Promise<CuttableProxy> {
		const probe = net.createServer();
		await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
		const port = (probe.address() as net.AddressInfo).port;
		await new Promise<void>((resolve) => probe.close(() => resolve()));
		const proxy = new CuttableProxy(port, target);
		await proxy.connect();
		return proxy;
	}

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/** Accepts connections again (the network is back). */
	async connect(): Promise<void> {
		const server = net.createServer((client) => {
			const upstream = net.connect(this.#target, '127.0.0.1');
			for (const s of [client, upstream]) {
				this.#sockets.add(s);
				s.on('close', () => this.#sockets.delete(s));
				s.on('error', () => {
					client.destroy();
					upstream.destroy();
				});
			}
			client.pipe(upstream);
			upstream.pipe(client);
		});
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(this.port, '127.0.0.1', resolve);
		});
		this.#server = server;
	}

	/**
	 * Stops carrying anything on the connections open now, in either direction, without closing them: a network that
	 * dropped under an open socket. New connections are carried as before.
	 */
	freeze(): void {
		for (const s of this.#sockets) {
			s.unpipe();
			s.pause();
		}
	}

	/** Drops every open connection and refuses new ones (the network is gone). */
	async cut(): Promise<void> {
		const server = this.#server;
		this.#server = null;
		const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
		for (const s of this.#sockets) s.destroy();
		this.#sockets.clear();
		await closed;
	}
}
