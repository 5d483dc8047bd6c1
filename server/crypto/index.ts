export { seal, open, DecryptionError, KEY_BYTES } from './aead.ts';
export { Keyring, type WrappedKeySource } from './keyring.ts';
export { checkMasterKeySource, defaultKeyFile, loadMasterKey, MasterKeyError, readMasterKey } from './masterKey.ts';
