import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Accounts } from '../auth/index.ts';
import type { Config } from '../config/index.ts';
import { open, seal, type Keyring } from '../crypto/index.ts';
import type { Store } from '../store/index.ts';
import type { SyncServer } from '../sync/index.ts';
import { docNames } from '../../src/lib/domain/docName.ts';
import { today as todayIn } from '@internationalized/date';
import { addPractitioner } from '../../src/lib/domain/directory.ts';
import { DEFAULT_TIME_ZONE } from '../../src/lib/domain/clinicSettings.ts';
import { noteBookingMonth } from '../../src/lib/domain/patientAppointments.ts';
import { createPatient } from '../../src/lib/domain/patients.ts';
import { addRoom } from '../../src/lib/domain/rooms.ts';
import { addAppointment, monthOf, scheduleDoc } from '../../src/lib/domain/schedule.ts';
import { addService } from '../../src/lib/domain/services.ts';
import type { TransactionOrigin } from '../../src/lib/domain/origin.ts';

export const DEMO_ADMIN_EMAIL = 'admin@demo.klinik';

const PRACTITIONERS = [
	{ name: 'Dr. Ayşe Yılmaz', color: '#0f766e' },
	{ name: 'Dr. Mehmet Demir', color: '#7c3aed' },
	{ name: 'Dyt. Elif Kaya', color: '#c2410c' }
];

const SEED: TransactionOrigin = { source: 'job', name: 'demo-seed' };

const PATIENTS = [
	{ name: 'Zeynep Arslan', phones: ['+905321234567'] },
	{ name: 'Can Öztürk', phones: ['+905332345678'] },
	{ name: 'Selin Aydın', phones: ['+905443456789'] },
	{ name: 'Burak Şahin', phones: ['+905054567890'] },
	{ name: 'Deniz Koç', phones: ['+905365678901'] }
];
const ROOMS = [{ name: 'Oda 1' }, { name: 'Oda 2' }];
const SERVICES = [
	{ name: 'Muayene', color: '#0f766e', durationMinutes: 30, bufferMinutes: 0 },
	{ name: 'Kontrol', color: '#7c3aed', durationMinutes: 15, bufferMinutes: 5 },
	{ name: 'Diyet danışmanlığı', color: '#c2410c', durationMinutes: 45, bufferMinutes: 0 }
];

/**
 * First start with an empty data folder (by default outside production only, SAFE-DEMO-1): a demo clinic with
 * three practitioners, two rooms, three services, five patients and their appointments today (the clinic's today,
 * in its time zone). Outside production also its admin, whose first password is
 * kept sealed with the clinic's key so that every start can print it (`demoSignIn`) until the admin changes it;
 * in production, where the terminal is the service's log, no password is made or printed (SAFE-DEMO-2) and the
 * admin is created with the CLI.
 */
export async function seedDemoClinic(
	accounts: Accounts,
	sync: SyncServer,
	config: Config,
	kept: { store: Pick<Store, 'meta'>; keyring: Keyring }
): Promise<void> {
	const clinic = await accounts.createClinic({ name: 'Demo Klinik' });
	const password = config.production ? null : randomBytes(12).toString('base64url');
	if (password) {
		await accounts.createUser({ clinicId: clinic.id, email: DEMO_ADMIN_EMAIL, name: 'Demo Admin', role: 'admin', password });
		const key = await kept.keyring.dataKey(clinic.id);
		const sealed = seal(key, Buffer.from(password), demoAad(clinic.id)).toString('base64');
		await kept.store.meta.set(
			DEMO_SIGN_IN,
			Buffer.from(JSON.stringify({ clinicId: clinic.id, email: DEMO_ADMIN_EMAIL, sealed }))
		);
	}

	const ids: string[] = [];
	const rooms: string[] = [];
	const services: { id: string; durationMinutes: number }[] = [];
	await sync.write(docNames.directory(clinic.id), SEED, (doc) => {
		for (const p of PRACTITIONERS) ids.push(addPractitioner(doc, p).id);
		for (const r of ROOMS) rooms.push(addRoom(doc, r).id);
		for (const s of SERVICES) services.push(addService(doc, s));
	});
	const patients: string[] = [];
	await sync.write(docNames.contacts(clinic.id), SEED, (doc) => {
		for (const p of PATIENTS) patients.push(createPatient(doc, { ...p, source: 'desk' }));
	});
	const today = todayIn(DEFAULT_TIME_ZONE).toString();
	const month = docNames.schedule(clinic.id, monthOf(today));
	await sync.write(docNames.contacts(clinic.id), SEED, (doc) => {
		for (const id of patients) noteBookingMonth(doc, id, monthOf(today));
	});
	await sync.write(month, SEED, (doc) => {
		const schedule = scheduleDoc(month, doc);
		patients.forEach((patientId, i) => {
			const hour = String([9, 10, 11, 14, 15][i]).padStart(2, '0');
			const service = services[i % services.length];
			addAppointment(schedule, {
				practitionerId: ids[i % ids.length],
				roomId: rooms[i % rooms.length],
				serviceId: service.id,
				start: `${today}T${hour}:${i % 2 ? '30' : '00'}`,
				durationMinutes: service.durationMinutes,
				patientId,
				source: i === 1 ? 'whatsapp' : 'desk'
			});
		});
	});

	if (!password) {
		process.stdout.write(
			`Demo clinic ${clinic.id} created without an admin (NODE_ENV=production); add one with ` +
				`npm run admin -- create-user --clinic ${clinic.id} --email E --name N --role admin\n`
		);
	}
}

const DEMO_SIGN_IN = 'demo-sign-in';
const demoAad = (clinicId: string) => `frontdesk:v1:demo-sign-in:${clinicId}`;
const keptSignIn = z.object({ clinicId: z.string(), email: z.string(), sealed: z.string() });

/**
 * The demo admin's sign-in while they still have their first password, else null (and the kept copy is
 * deleted: once changed, it is nobody's business any more).
 */
export async function demoSignIn(
	store: Pick<Store, 'meta' | 'users'>,
	keyring: Keyring,
	accounts: Accounts
): Promise<{ email: string; password: string } | null> {
	const raw = await store.meta.get(DEMO_SIGN_IN);
	if (!raw) return null;
	const kept = keptSignIn.parse(JSON.parse(raw.toString('utf8')));
	const password = open(
		await keyring.dataKey(kept.clinicId),
		Buffer.from(kept.sealed, 'base64'),
		demoAad(kept.clinicId)
	).toString();
	const user = await store.users.getByEmail(kept.email);
	if (user?.active && (await accounts.checkPassword(user, password))) return { email: kept.email, password };
	await store.meta.delete(DEMO_SIGN_IN);
	return null;
}

/** The demo sign-in as the last lines of the start output. */
export function demoSignInText(url: string, signIn: { email: string; password: string }): string {
	return `\n  Demo clinic: sign in at ${url}\n    email:    ${signIn.email}\n    password: ${signIn.password}\n  (shown at every start until this password is changed)\n\n`;
}
