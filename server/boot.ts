import type { Config } from './config/index.ts';
import { checkMasterKeySource, defaultKeyFile, Keyring, loadMasterKey, MasterKeyError, readMasterKey } from './crypto/index.ts';
import { openStore, type Store } from './store/index.ts';

const MASTER_CHECK = 'master-key-check';

/**
 * Opens the store and unlocks the keyring, failing before anything else runs if the master key is missing or
 * is not the one this data folder was written with. Never creates a key file (SAFE-KEY-2): a missing or wrong
 * key fails before the store is opened or written to. Shared by the server and the admin CLI.
 */
export async function openStoreAndKeys(config: Config): Promise<{ store: Store; keyring: Keyring }> {
	checkMasterKeySource(config);
	const masterKey = readMasterKey(config.masterKey);
	if (!masterKey) throw missingKey(config);
	const store = openStore(config.dataDir);
	try {
		const keyring = new Keyring(masterKey, store.clinics);
		const check = await store.meta.get(MASTER_CHECK);
		if (check) keyring.verifyCheck(check);
		else await store.meta.set(MASTER_CHECK, keyring.sealCheck());
		return { store, keyring };
	} catch (error) {
		await store.close();
		throw error;
	}
}

/**
 * The one place a key file is created (SAFE-KEY-3), called by the server's entry points only: outside production,
 * with no key given, on a data folder that holds no data yet, `DATA_DIR/master.key` is created with mode 0600.
 * A missing key next to existing data is an error, never a fresh key that could not read it.
 */
export async function createDevelopmentKey(config: Config): Promise<void> {
	const source = config.masterKey;
	if (config.production || source.kind === 'env' || source.path !== defaultKeyFile(config.dataDir)) return;
	if (readMasterKey(source)) return;
	const store = openStore(config.dataDir);
	let written: boolean;
	try {
		written = (await store.meta.get(MASTER_CHECK)) !== null;
	} finally {
		await store.close();
	}
	if (written) {
		throw new MasterKeyError(
			`the master key file ${source.path} is missing, but DATA_DIR (${config.dataDir}) holds data written with a key: ` +
				'restore the file, or set APP_MASTER_KEY / APP_MASTER_KEY_FILE to that key'
		);
	}
	loadMasterKey(source);
}

function missingKey(config: Config): MasterKeyError {
	const file = config.masterKey.kind === 'file' ? config.masterKey.path : '';
	return new MasterKeyError(
		`no master key: APP_MASTER_KEY is unset and the key file ${file} does not exist ` +
			"(set APP_MASTER_KEY, or APP_MASTER_KEY_FILE to the server's key file; only a development server creates one, on a new data folder)"
	);
}
