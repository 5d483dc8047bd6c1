import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../server/store/index.ts';

/** A fresh SQLite store holding clinic `c1` and its admin `u1`, for tests of sessions and cookies. */
export async function storeWithStaff(prefix: string, now: number): Promise<Store> {
	const store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
	await store.clinics.insert({ id: 'c1', name: 'Clinic', createdAt: now }, Buffer.alloc(1));
	await store.users.insert({
		id: 'u1',
		clinicId: 'c1',
		email: 'a@example.com',
		name: 'A',
		role: 'admin',
		passwordHash: 'x',
		active: true,
		practitionerId: null,
		createdAt: now
	});
	return store;
}
