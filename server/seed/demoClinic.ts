import { randomBytes } from 'node:crypto';
import type { Accounts } from '../auth/index.ts';
import type { Config } from '../config/index.ts';

export const DEMO_ADMIN_EMAIL = 'admin@demo.klinik';

/**
 * First start with an empty data folder: a demo clinic and its admin, whose one-time password is printed
 * to the terminal (not to the log) so whoever ran `npm start` can sign in.
 */
export async function seedDemoClinic(accounts: Accounts, config: Config): Promise<void> {
	const clinic = await accounts.createClinic({ name: 'Demo Klinik' });
	const password = randomBytes(12).toString('base64url');
	await accounts.createUser({ clinicId: clinic.id, email: DEMO_ADMIN_EMAIL, name: 'Demo Admin', role: 'admin', password });
	const url = config.origins[0] ?? `http://localhost:${config.port}`;
	process.stdout.write(
		`\n  Demo clinic created. Sign in at ${url}\n    email:    ${DEMO_ADMIN_EMAIL}\n    password: ${password}\n\n`
	);
}
