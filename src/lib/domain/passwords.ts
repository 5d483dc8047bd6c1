import { z } from 'zod';

/** Long enough to resist guessing; the device names a short one before sending, the server refuses it. */
export const MIN_PASSWORD_LENGTH = 10;
/** Short enough to hash cheaply (argon2id on the server). */
export const MAX_PASSWORD_LENGTH = 1024;

/** A password someone chooses. */
export const newPassword = z
	.string()
	.min(MIN_PASSWORD_LENGTH, `password must be at least ${MIN_PASSWORD_LENGTH} characters`)
	.max(MAX_PASSWORD_LENGTH);
