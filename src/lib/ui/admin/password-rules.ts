import { z } from 'zod';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';

/** The server's `MIN_PASSWORD_LENGTH` (server/auth/passwords.ts): said here first so a short one is named at once. */
export const MIN_PASSWORD_LENGTH = 10;

const newPassword = z
	.object({ password: z.string().min(MIN_PASSWORD_LENGTH).max(1024), repeat: z.string() })
	.refine((p) => p.password === p.repeat, { path: ['repeat'] });

/** What is wrong with a chosen password and its repetition, or null when it may be sent. */
export function newPasswordProblem(password: string, repeat: string): MessageKey | null {
	const result = newPassword.safeParse({ password, repeat });
	if (result.success) return null;
	const issue = result.error.issues[0];
	if (issue.code === 'too_small') return 'admin.password.tooShort';
	if (issue.code === 'too_big') return 'admin.password.tooLong';
	return 'admin.password.mismatch';
}
