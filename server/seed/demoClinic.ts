import { randomBytes } from 'node:crypto';
import type { Accounts } from '../auth/index.ts';
import type { Config } from '../config/index.ts';
import type { SyncServer } from '../sync/index.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import { addPractitioner } from '../../src/lib/domain/directory.ts';
import { addAppointment, monthOf, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';

export const DEMO_ADMIN_EMAIL = 'admin@demo.klinik';

const PRACTITIONERS = [
	{ name: 'Dr. Ayşe Yılmaz', color: '#0f766e' },
	{ name: 'Dr. Mehmet Demir', color: '#7c3aed' },
	{ name: 'Dyt. Elif Kaya', color: '#c2410c' }
];

const SEED: TransactionOrigin = { source: 'job', name: 'demo-seed' };

const PATIENTS = ['Zeynep Arslan', 'Can Öztürk', 'Selin Aydın', 'Burak Şahin', 'Deniz Koç'];

/**
 * First start with an empty data folder (by default outside production only, SAFE-DEMO-1): a demo clinic with
 * three practitioners and a few appointments today. Outside production also its admin, whose one-time password
 * is printed on the terminal; in production, where the terminal is the service's log, no password is made or
 * printed (SAFE-DEMO-2) and the admin is created with the CLI.
 */
export async function seedDemoClinic(accounts: Accounts, sync: SyncServer, config: Config): Promise<void> {
	const clinic = await accounts.createClinic({ name: 'Demo Klinik' });
	const password = config.production ? null : randomBytes(12).toString('base64url');
	if (password) {
		await accounts.createUser({ clinicId: clinic.id, email: DEMO_ADMIN_EMAIL, name: 'Demo Admin', role: 'admin', password });
	}

	const ids: string[] = [];
	await sync.write(docNames.directory(clinic.id), SEED, (doc) => {
		for (const p of PRACTITIONERS) ids.push(addPractitioner(doc, p).id);
	});
	const today = new Date().toISOString().slice(0, 10);
	const month = docNames.schedule(clinic.id, monthOf(today));
	await sync.write(month, SEED, (doc) => {
		const schedule = scheduleDoc(month, doc);
		PATIENTS.forEach((patientName, i) => {
			const hour = String(9 + i).padStart(2, '0');
			addAppointment(schedule, {
				practitionerId: ids[i % ids.length],
				start: `${today}T${hour}:${i % 2 ? '30' : '00'}`,
				durationMinutes: 30 + 15 * (i % 3),
				patientName
			});
		});
	});

	const url = config.origins[0] ?? `http://localhost:${config.port}`;
	process.stdout.write(
		password
			? `\n  Demo clinic created. Sign in at ${url}\n    email:    ${DEMO_ADMIN_EMAIL}\n    password: ${password}\n\n`
			: `Demo clinic ${clinic.id} created without an admin (NODE_ENV=production); add one with ` +
					`npm run admin -- create-user --clinic ${clinic.id} --email E --name N --role admin\n`
	);
}
