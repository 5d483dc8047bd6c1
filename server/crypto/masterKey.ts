import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.ts';
import { KEY_BYTES } from './aead.ts';

/**
 * The master key comes from APP_MASTER_KEY or from a key file. A missing file is created with mode 0600
 * (first start in development); an existing file readable by others is refused, not silently used.
 */
export function loadMasterKey(source: Config['masterKey']): Buffer {
	if (source.kind === 'env') return Buffer.from(source.base64, 'base64');
	const file = source.path;
	if (!fs.existsSync(file)) {
		fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
		const key = randomBytes(KEY_BYTES);
		fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
		return key;
	}
	const mode = fs.statSync(file).mode & 0o777;
	if (mode & 0o077) {
		throw new Error(`master key file ${file} has mode ${mode.toString(8)}; it must be 0600 (chmod 600 ${file})`);
	}
	const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
	if (key.length !== KEY_BYTES) throw new Error(`master key file ${file} must hold base64 of exactly 32 bytes`);
	return key;
}
