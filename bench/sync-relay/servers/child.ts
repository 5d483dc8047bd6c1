import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** The project root: servers and CLIs run from there, as `npm run …` would. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServerChild {
	readonly child: ChildProcess;
	readonly port: number;
	/** Sends SIGTERM and waits for the exit (SIGKILL after the grace period). */
	stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
	env: Record<string, string>;
	nodeArgs?: string[];
	/** An HTTP path that answers 200 once the server accepts connections. */
	readyPath: string;
	/** The checkout to run the script from (default: this one). */
	cwd?: string;
}

/**
 * Starts `node [nodeArgs] --import tsx <script>` with PORT set to a free port and resolves once
 * `readyPath` answers 200. Readiness is polled rather than read from a log line because the server
 * runs at LOG_LEVEL=warn, which hides its "listening" line. Anything the child prints is passed on to
 * stderr: a warning during a step may explain a figure.
 */
export async function startServer(script: string, opts: StartOptions): Promise<ServerChild> {
	const port = await freePort();
	const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', script], {
		cwd: opts.cwd ?? ROOT,
		env: { ...process.env, ...opts.env, PORT: String(port) },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const relay = (chunk: Buffer) => process.stderr.write(`[${script}] ${chunk.toString('utf8')}`);
	child.stdout.on('data', relay);
	child.stderr.on('data', relay);
	let exited = false;
	child.once('exit', () => (exited = true));
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (exited) throw new Error(`${script} exited before it was ready`);
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(`${script} was not ready within 30 s`);
		}
		try {
			const res = await fetch(`http://127.0.0.1:${port}${opts.readyPath}`);
			await res.arrayBuffer();
			if (res.status === 200) break;
		} catch {
			// Not listening yet.
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	return { child, port, stop: (graceMs) => stopChild(child, graceMs) };
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = net.createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const { port } = probe.address() as net.AddressInfo;
			probe.close(() => resolve(port));
		});
	});
}

function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
		child.once('exit', () => {
			clearTimeout(kill);
			resolve();
		});
		child.kill('SIGTERM');
	});
}

/** Runs a CLI script to completion with `stdin` and returns its stdout; rejects on a non-zero exit. */
export function runScript(script: string, args: string[], env: Record<string, string>, stdin = '', cwd = ROOT): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
			cwd,
			env: { ...process.env, ...env },
			stdio: ['pipe', 'pipe', 'pipe']
		});
		let out = '';
		let err = '';
		child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
		child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
		child.on('error', reject);
		child.on('exit', (code) =>
			code === 0 ? resolve(out) : reject(new Error(`${script} ${args[0] ?? ''} exited ${code}: ${err}`))
		);
		child.stdin.end(stdin);
	});
}
