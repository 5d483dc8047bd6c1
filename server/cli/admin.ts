import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Accounts, Sessions } from '../auth/index.ts';
import { loadConfig } from '../config/index.ts';
import { openStoreAndKeys } from '../boot.ts';
import { newLinkRow } from '../calendar/links.ts';
import { ChannelAccounts } from '../channels/index.ts';

/**
 * `npm run admin -- <command> [options]`. Each command prints one JSON object on stdout; errors go to
 * stderr with a non-zero exit. Safe while the server runs (SQLite WAL; same master key from the environment).
 * It never creates a key file: without the server's key, or with another one, it fails before writing anything
 * to the data folder (SAFE-KEY-2).
 */
const USAGE = `usage:
  npm run admin -- create-clinic --name NAME
  npm run admin -- create-user --clinic ID --email EMAIL --name NAME --role admin|practitioner|reception   (password on stdin)
  npm run admin -- list-clinics
  npm run admin -- list-users --clinic ID
  npm run admin -- reset-password --email EMAIL   (new password on stdin; with nothing on stdin one is generated and printed)
  npm run admin -- connect-whatsapp --clinic ID --phone-number-id P [--access-token T]   (or the token on stdin)
  npm run admin -- connect-instagram --clinic ID --account-id A [--access-token T]   (or the token on stdin)
  npm run admin -- connect-phone --clinic ID --number +90…
  npm run admin -- connect-google --user ID --calendar CAL [--refresh-token T]   (or the token on stdin; the user must be a practitioner)`;

async function readStdin(): Promise<string> {
	// A terminal is not a pipe: nothing was given (reset-password then generates one).
	if (process.stdin.isTTY) return '';
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks)
		.toString('utf8')
		.replace(/\r?\n$/, '');
}

async function run(argv: string[]): Promise<unknown> {
	const [command, ...rest] = argv;
	const { values } = parseArgs({
		args: rest,
		options: {
			name: { type: 'string' },
			clinic: { type: 'string' },
			email: { type: 'string' },
			role: { type: 'string' },
			'phone-number-id': { type: 'string' },
			'account-id': { type: 'string' },
			'access-token': { type: 'string' },
			number: { type: 'string' },
			user: { type: 'string' },
			calendar: { type: 'string' },
			'refresh-token': { type: 'string' }
		},
		strict: true
	});
	const config = loadConfig();
	const { store, keyring } = await openStoreAndKeys(config);
	try {
		const accounts = new Accounts(store, keyring);
		switch (command) {
			case 'create-clinic':
				return await accounts.createClinic({ name: values.name ?? '' });
			case 'create-user':
				return await accounts.createUser({
					clinicId: values.clinic ?? '',
					email: values.email ?? '',
					name: values.name ?? '',
					role: (values.role ?? '') as 'admin',
					password: await readStdin()
				});
			case 'list-clinics':
				return await Promise.all(
					(await store.clinics.list()).map(async (c) => ({ ...c, users: (await store.users.listForClinic(c.id)).length }))
				);
			case 'list-users': {
				if (!values.clinic) throw new UsageError('--clinic is required');
				if (!(await store.clinics.get(values.clinic))) throw new Error(`no clinic with id ${values.clinic}`);
				return (await store.users.listForClinic(values.clinic)).map((u) => ({
					id: u.id,
					email: u.email,
					name: u.name,
					role: u.role,
					active: u.active,
					practitionerId: u.practitionerId,
					passwordSet: u.passwordHash !== '',
					createdAt: u.createdAt
				}));
			}
			case 'reset-password': {
				const email = (values.email ?? '').trim().toLowerCase();
				if (!email) throw new UsageError('--email is required');
				const user = await store.users.getByEmail(email);
				if (!user) throw new Error(`no user with email ${email}`);
				const given = await readStdin();
				const password = given || randomBytes(12).toString('base64url');
				await accounts.setPassword(user.id, password);
				// Whoever knew the old password is out; the running server closes their sockets at its next check.
				const endedSessions = await new Sessions(store).endAllForUser(user.id);
				return { id: user.id, email: user.email, endedSessions, ...(given ? {} : { password }) };
			}
			case 'connect-whatsapp':
			case 'connect-instagram':
			case 'connect-phone': {
				if (!values.clinic) throw new UsageError('--clinic is required');
				const channels = new ChannelAccounts(store, keyring);
				if (command === 'connect-phone') {
					if (!values.number) throw new UsageError('--number is required');
					return {
						clinicId: values.clinic,
						...(await channels.connect(values.clinic, { provider: 'phone', externalId: values.number }))
					};
				}
				const provider = command === 'connect-whatsapp' ? 'whatsapp' : 'instagram';
				const externalId = provider === 'whatsapp' ? values['phone-number-id'] : values['account-id'];
				if (!externalId)
					throw new UsageError(provider === 'whatsapp' ? '--phone-number-id is required' : '--account-id is required');
				// From stdin, the token stays out of the shell's history and the process list.
				const accessToken = values['access-token'] ?? (await readStdin()).trim();
				return { clinicId: values.clinic, ...(await channels.connect(values.clinic, { provider, externalId, accessToken })) };
			}
			case 'connect-google': {
				if (!values.user) throw new UsageError('--user is required');
				if (!values.calendar) throw new UsageError('--calendar is required');
				const user = await store.users.getById(values.user);
				if (!user) throw new Error(`no user with id ${values.user}`);
				if (!user.practitionerId)
					throw new Error('the user is not a practitioner of the directory: set their practitioner first');
				const refreshToken = values['refresh-token'] ?? (await readStdin()).trim();
				// Only the link is written: the running server starts syncing it at its next look (CALENDAR_INTERVAL_MS).
				const row = await newLinkRow(
					keyring,
					{
						clinicId: user.clinicId,
						practitionerId: user.practitionerId,
						userId: user.id,
						calendarId: values.calendar,
						refreshToken
					},
					Date.now(),
					await store.calendar.link(user.clinicId, user.practitionerId)
				);
				await store.calendar.connect(row);
				return { clinicId: row.clinicId, practitionerId: row.practitionerId, userId: row.userId, calendarId: row.calendarId };
			}
			default:
				throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
		}
	} finally {
		await store.close();
	}
}

class UsageError extends Error {}

run(process.argv.slice(2)).then(
	(result) => {
		process.stdout.write(JSON.stringify(result) + '\n');
	},
	(error: unknown) => {
		const message =
			error && typeof error === 'object' && 'issues' in error && Array.isArray(error.issues)
				? error.issues.map((i: { path: unknown[]; message: string }) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')
				: error instanceof Error
					? error.message
					: String(error);
		process.stderr.write(`admin: ${message}\n${error instanceof UsageError ? USAGE + '\n' : ''}`);
		process.exit(error instanceof UsageError ? 64 : 1);
	}
);
