export { seal, open, DecryptionError, KEY_BYTES } from './aead.ts';
export { Keyring, type WrappedKeySource } from './keyring.ts';
export { loadMasterKey } from './masterKey.ts';
