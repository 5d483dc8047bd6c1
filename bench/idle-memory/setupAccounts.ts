import { Accounts } from '../../server/auth/index.ts';
import { openStoreAndKeys } from '../../server/boot.ts';
import { loadConfig } from '../../server/config/index.ts';

/**
 * `node --import tsx bench/idle-memory/setupAccounts.ts COUNT` with the server's DATA_DIR and APP_MASTER_KEY:
 * creates one clinic and COUNT reception accounts in it through the same Accounts API as the admin CLI (one
 * process instead of COUNT CLI runs), and prints {clinicId, emails, password} as JSON.
 */
const BENCH_PASSWORD = 'idle-bench-password-0123456789';

async function main(count: number): Promise<void> {
	const { store, keyring } = await openStoreAndKeys(loadConfig());
	try {
		const accounts = new Accounts(store, keyring);
		const clinic = await accounts.createClinic({ name: 'Idle bench' });
		const emails: string[] = [];
		for (let i = 0; i < count; i++) {
			const email = `idle${i}@example.com`;
			await accounts.createUser({ clinicId: clinic.id, email, name: `Idle ${i}`, role: 'reception', password: BENCH_PASSWORD });
			emails.push(email);
		}
		process.stdout.write(JSON.stringify({ clinicId: clinic.id, emails, password: BENCH_PASSWORD }) + '\n');
	} finally {
		await store.close();
	}
}

const count = Number(process.argv[2]);
if (!Number.isInteger(count) || count < 1) {
	process.stderr.write('usage: setupAccounts.ts COUNT\n');
	process.exit(64);
}
main(count).catch((error: unknown) => {
	process.stderr.write(`setupAccounts: ${error instanceof Error ? error.message : String(error)}\n`);
	process.exit(1);
});
