import type { Config } from './config/index.ts';
import { Keyring, loadMasterKey } from './crypto/index.ts';
import { openStore, type Store } from './store/index.ts';

const MASTER_CHECK = 'master-key-check';

/**
 * Opens the store and unlocks the keyring, failing before anything else runs if the master key is not the
 * one this data folder was written with. Shared by the server and the admin CLI.
 */
export async function openStoreAndKeys(config: Config): Promise<{ store: Store; keyring: Keyring }> {
	const store = openStore(config.dataDir);
	try {
		const keyring = new Keyring(loadMasterKey(config.masterKey), store);
		const check = await store.getMeta(MASTER_CHECK);
		if (check) keyring.verifyCheck(check);
		else await store.setMeta(MASTER_CHECK, keyring.sealCheck());
		return { store, keyring };
	} catch (error) {
		await store.close();
		throw error;
	}
}
