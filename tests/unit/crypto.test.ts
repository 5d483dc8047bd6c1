import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecryptionError, Keyring, loadMasterKey, open, seal } from '../../server/crypto/index.ts';

const key = randomBytes(32);
const aad = 'frontdesk:v1:doc:update:clinic1:clinic1/contacts:7';

describe('AES-256-GCM records', () => {
	it('round-trips and uses a fresh nonce every time', () => {
		const plaintext = Buffer.from('Ayşe Yılmaz, +90 532 000 00 00');
		const a = seal(key, plaintext, aad);
		const b = seal(key, plaintext, aad);
		expect(a.equals(b)).toBe(false);
		expect(open(key, a, aad).equals(plaintext)).toBe(true);
		expect(a.includes(plaintext)).toBe(false);
	});

	it('fails loudly on any flipped bit', () => {
		const sealed = seal(key, Buffer.from('appointment at 10:00'), aad);
		for (let i = 0; i < sealed.length; i++) {
			const tampered = Buffer.from(sealed);
			tampered[i] ^= 0x01;
			expect(() => open(key, tampered, aad)).toThrow(DecryptionError);
		}
	});

	it('fails for a record moved to another clinic, doc or sequence', () => {
		const sealed = seal(key, Buffer.from('x'), aad);
		expect(() => open(key, sealed, aad.replace('clinic1:', 'clinic2:'))).toThrow(DecryptionError);
		expect(() => open(key, sealed, aad.replace(':7', ':8'))).toThrow(DecryptionError);
	});

	it('fails with the wrong key, and on truncated input', () => {
		const sealed = seal(key, Buffer.from('x'), aad);
		expect(() => open(randomBytes(32), sealed, aad)).toThrow(DecryptionError);
		expect(() => open(key, sealed.subarray(0, 20), aad)).toThrow(DecryptionError);
	});
});

describe('Keyring', () => {
	it('wraps per-clinic data keys with the master key; another master key cannot unwrap them', async () => {
		const master = randomBytes(32);
		const stored = new Map<string, Buffer>();
		const source = { getWrappedKey: async (id: string) => stored.get(id) ?? null };
		const writer = new Keyring(master, source);
		stored.set('c1', writer.newWrappedKey('c1'));
		stored.set('c2', writer.newWrappedKey('c2'));
		const k1 = await writer.dataKey('c1');
		expect(k1.equals(await writer.dataKey('c2'))).toBe(false);

		expect((await new Keyring(master, source).dataKey('c1')).equals(k1)).toBe(true);
		await expect(new Keyring(randomBytes(32), source).dataKey('c1')).rejects.toThrow(DecryptionError);
		// A wrapped key copied onto another clinic does not open there.
		stored.set('c3', stored.get('c1')!);
		await expect(new Keyring(master, source).dataKey('c3')).rejects.toThrow(DecryptionError);
		// Crypto-shredding: without its wrapped key a clinic's data is unreadable.
		stored.delete('c2');
		await expect(new Keyring(master, source).dataKey('c2')).rejects.toThrow(/no data key/);
	});

	it('verifies the master key check value', () => {
		const source = { getWrappedKey: async () => null };
		const check = new Keyring(randomBytes(32), source).sealCheck();
		expect(() => new Keyring(randomBytes(32), source).verifyCheck(check)).toThrow(/does not match/);
	});
});

describe('master key file', () => {
	it('is created with mode 0600 on first start and read back after', () => {
		const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fd-key-')), 'sub', 'master.key');
		const created = loadMasterKey({ kind: 'file', path: file });
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		expect(loadMasterKey({ kind: 'file', path: file }).equals(created)).toBe(true);
	});

	it('is refused when others can read it', () => {
		const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fd-key-')), 'master.key');
		fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o644 });
		fs.chmodSync(file, 0o644);
		expect(() => loadMasterKey({ kind: 'file', path: file })).toThrow(/must be 0600/);
	});
});
