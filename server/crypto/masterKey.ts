import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.ts';
import { KEY_BYTES } from './aead.ts';

/**
 * The master key comes from APP_MASTER_KEY or from a key file. Reading never creates anything; the one file
 * ever created is the development default `DATA_DIR/master.key` (see `server/boot.ts`). A key file readable by
 * others is refused, not silently used.
 */
export class MasterKeyError extends Error {
	override name = 'MasterKeyError';
}

type KeySource = Config['masterKey'];

/** The development default key file: next to the data, so it must never be used in production. */
export function defaultKeyFile(dataDir: string): string {
	return path.join(dataDir, 'master.key');
}

/**
 * SAFE-KEY-1: in production the key is given explicitly — APP_MASTER_KEY, or an existing APP_MASTER_KEY_FILE
 * outside DATA_DIR — so a copy of the data folder never carries its own key. Checked before anything is opened.
 */
export function checkMasterKeySource(config: Pick<Config, 'production' | 'dataDir' | 'masterKey'>): void {
	const source = config.masterKey;
	if (!config.production || source.kind === 'env') return;
	if (source.path === defaultKeyFile(config.dataDir)) {
		throw new MasterKeyError(
			'NODE_ENV=production needs APP_MASTER_KEY (base64 of 32 bytes) or APP_MASTER_KEY_FILE (a file outside DATA_DIR); ' +
				'the development default DATA_DIR/master.key is never used in production'
		);
	}
	if (isInside(source.path, config.dataDir)) {
		throw new MasterKeyError(
			`APP_MASTER_KEY_FILE (${source.path}) is inside DATA_DIR (${config.dataDir}): keep the master key apart from the data it protects`
		);
	}
	if (!fs.existsSync(source.path)) throw new MasterKeyError(`APP_MASTER_KEY_FILE (${source.path}) does not exist`);
}

/** The key, or null when its file does not exist. Never creates anything. */
export function readMasterKey(source: KeySource): Buffer | null {
	if (source.kind === 'env') return Buffer.from(source.base64, 'base64');
	const file = source.path;
	if (!fs.existsSync(file)) return null;
	const mode = fs.statSync(file).mode & 0o777;
	if (mode & 0o077) {
		throw new MasterKeyError(`master key file ${file} has mode ${mode.toString(8)}; it must be 0600 (chmod 600 ${file})`);
	}
	const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
	if (key.length !== KEY_BYTES) throw new MasterKeyError(`master key file ${file} must hold base64 of exactly 32 bytes`);
	return key;
}

/** A fresh key written to `file` with mode 0600; fails if the file appeared meanwhile (never overwrites a key). */
function createMasterKeyFile(file: string): Buffer {
	fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
	const key = randomBytes(KEY_BYTES);
	fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
	return key;
}

/** Reads the key, creating its file (0600) when missing: only for a caller that was asked to create one. */
export function loadMasterKey(source: KeySource): Buffer {
	if (source.kind === 'env') return Buffer.from(source.base64, 'base64');
	return readMasterKey(source) ?? createMasterKeyFile(source.path);
}

/** True when `file` lies in `dir` or below it, following symbolic links of whatever already exists. */
function isInside(file: string, dir: string): boolean {
	const real = (p: string) => {
		try {
			return fs.realpathSync(p);
		} catch {
			return path.resolve(p);
		}
	};
	const realFile = fs.existsSync(file) ? real(file) : path.join(real(path.dirname(file)), path.basename(file));
	const relative = path.relative(real(dir), realFile);
	return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
