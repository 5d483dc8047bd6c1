import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.ts';
import { checkMasterKeySource, MasterKeyError, readMasterKey } from '../../server/crypto/index.ts';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

function keyFile(dir: string): string {
	const file = path.join(dir, 'master.key');
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
	return file;
}

const production = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'production', ...env });

describe('SAFE-KEY-1 the master key source in production', () => {
	it('SAFE-KEY-1 refuses the default key file and names both settings', () => {
		const config = production({ DATA_DIR: tmp('fd-data-') });
		expect(() => checkMasterKeySource(config)).toThrow(MasterKeyError);
		expect(() => checkMasterKeySource(config)).toThrow(/APP_MASTER_KEY .*APP_MASTER_KEY_FILE/);
	});

	it('SAFE-KEY-1 refuses a key file inside DATA_DIR, also through a symbolic link', () => {
		const dataDir = tmp('fd-data-');
		const inside = keyFile(path.join(dataDir, 'keys'));
		expect(() => checkMasterKeySource(production({ DATA_DIR: dataDir, APP_MASTER_KEY_FILE: inside }))).toThrow(
			/APP_MASTER_KEY_FILE .* is inside DATA_DIR/
		);
		const link = path.join(tmp('fd-keys-'), 'master.key');
		fs.symlinkSync(inside, link);
		expect(() => checkMasterKeySource(production({ DATA_DIR: dataDir, APP_MASTER_KEY_FILE: link }))).toThrow(/inside DATA_DIR/);
	});

	it('SAFE-KEY-1 refuses a key file that does not exist, and accepts one outside DATA_DIR or APP_MASTER_KEY', () => {
		const dataDir = tmp('fd-data-');
		const missing = path.join(tmp('fd-keys-'), 'none.key');
		expect(() => checkMasterKeySource(production({ DATA_DIR: dataDir, APP_MASTER_KEY_FILE: missing }))).toThrow(/does not exist/);
		const outside = keyFile(tmp('fd-keys-'));
		expect(() => checkMasterKeySource(production({ DATA_DIR: dataDir, APP_MASTER_KEY_FILE: outside }))).not.toThrow();
		const env = production({ DATA_DIR: dataDir, APP_MASTER_KEY: randomBytes(32).toString('base64') });
		expect(() => checkMasterKeySource(env)).not.toThrow();
	});

	it('SAFE-KEY-3 outside production the default key file is allowed', () => {
		expect(() => checkMasterKeySource(loadConfig({ DATA_DIR: tmp('fd-data-') }))).not.toThrow();
	});
});

describe('SAFE-KEY-2 reading the master key', () => {
	it('SAFE-KEY-2 never creates a missing key file', () => {
		const file = path.join(tmp('fd-keys-'), 'sub', 'master.key');
		expect(readMasterKey({ kind: 'file', path: file })).toBeNull();
		expect(fs.existsSync(path.dirname(file))).toBe(false);
	});

	it('SAFE-KEY-4 a key file readable by others is refused, and so is one without 32 bytes', () => {
		const open = keyFile(tmp('fd-keys-'));
		fs.chmodSync(open, 0o640);
		expect(() => readMasterKey({ kind: 'file', path: open })).toThrow(/must be 0600/);
		const short = path.join(tmp('fd-keys-'), 'master.key');
		fs.writeFileSync(short, randomBytes(16).toString('base64'), { mode: 0o600 });
		expect(() => readMasterKey({ kind: 'file', path: short })).toThrow(/exactly 32 bytes/);
	});
});
