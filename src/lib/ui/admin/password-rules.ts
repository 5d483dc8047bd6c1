import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '$lib/domain/passwords.ts';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';

export { MIN_PASSWORD_LENGTH };

const newPassword = z
	.object({ password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH), repeat: z.string() })
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
