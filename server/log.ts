import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs. Call sites log ids and counts only; the redaction list is the safety net for
 * the fields that must never reach a log (tokens, passwords, cookies, message bodies).
 */
export function createLogger(level: string): Logger {
	return pino({
		level,
		base: { service: 'frontdesk' },
		redact: {
			paths: [
				'password',
				'*.password',
				'token',
				'*.token',
				'ticket',
				'*.ticket',
				'cookie',
				'*.cookie',
				'headers.cookie',
				'*.headers.cookie',
				'body',
				'*.body',
				'text',
				'*.text'
			],
			censor: '[redacted]'
		}
	});
}
