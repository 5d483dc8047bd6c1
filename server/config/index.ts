import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting the process reads, parsed once. A wrong value stops start-up with a message
 * naming the variable; nothing else in server/ reads process.env.
 */
const schema = z.object({
	PORT: z.coerce.number().int().min(0).max(65535).default(3000),
	HOST: z.string().min(1).default('0.0.0.0'),
	/** The public origin(s) of the app, comma-separated; websocket cookies count only from these or from the request's own host. */
	ORIGIN: z
		.string()
		.optional()
		.transform((value, ctx) => {
			if (!value) return [];
			const origins: string[] = [];
			for (const part of value
				.split(',')
				.map((s) => s.trim())
				.filter(Boolean)) {
				try {
					origins.push(new URL(part).origin);
				} catch {
					ctx.addIssue({ code: 'custom', message: `not a URL: ${part}` });
				}
			}
			return origins;
		}),
	DATA_DIR: z.string().min(1).default('./data'),
	APP_MASTER_KEY: z
		.string()
		.optional()
		.refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, 'must be base64 of exactly 32 bytes'),
	APP_MASTER_KEY_FILE: z.string().min(1).optional(),
	LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
	/** Largest websocket message accepted; larger ones close that socket (1009). */
	SYNC_MAX_MESSAGE_BYTES: z.coerce
		.number()
		.int()
		.min(1024)
		.default(32 * 1024 * 1024),
	/** How often open sockets re-check their session (revocations made by other processes). */
	SESSION_RECHECK_MS: z.coerce.number().int().min(100).default(15_000),
	/** Stored updates of a doc after which its log is compacted into a snapshot. */
	COMPACT_AFTER_UPDATES: z.coerce.number().int().min(2).default(500),
	/** Seed a demo clinic when the store has no clinic yet. */
	DEMO_CLINIC: z
		.enum(['true', 'false'])
		.default('true')
		.transform((v) => v === 'true'),
	SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000)
});

export interface Config {
	port: number;
	host: string;
	origins: string[];
	dataDir: string;
	masterKey: { kind: 'env'; base64: string } | { kind: 'file'; path: string };
	logLevel: z.infer<typeof schema>['LOG_LEVEL'];
	syncMaxMessageBytes: number;
	sessionRecheckMs: number;
	compactAfterUpdates: number;
	demoClinic: boolean;
	shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
	override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
	const parsed = schema.safeParse(env);
	if (!parsed.success) {
		const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
		throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
	}
	const c = parsed.data;
	const dataDir = path.resolve(c.DATA_DIR);
	return {
		port: c.PORT,
		host: c.HOST,
		origins: c.ORIGIN,
		dataDir,
		masterKey: c.APP_MASTER_KEY
			? { kind: 'env', base64: c.APP_MASTER_KEY }
			: { kind: 'file', path: path.resolve(c.APP_MASTER_KEY_FILE ?? path.join(dataDir, 'master.key')) },
		logLevel: c.LOG_LEVEL,
		syncMaxMessageBytes: c.SYNC_MAX_MESSAGE_BYTES,
		sessionRecheckMs: c.SESSION_RECHECK_MS,
		compactAfterUpdates: c.COMPACT_AFTER_UPDATES,
		demoClinic: c.DEMO_CLINIC,
		shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS
	};
}
