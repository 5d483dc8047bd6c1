import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config/index.ts';

describe('configuration', () => {
	it('has working defaults: port 3000, ./data, a key file there', () => {
		const config = loadConfig({});
		expect(config.port).toBe(3000);
		expect(config.dataDir).toMatch(/\/data$/);
		expect(config.masterKey).toEqual({ kind: 'file', path: `${config.dataDir}/master.key` });
	});

	it('names every wrong setting', () => {
		try {
			loadConfig({ PORT: 'eighty', APP_MASTER_KEY: 'short', ORIGIN: 'not a url' });
			expect.unreachable();
		} catch (error) {
			expect(error).toBeInstanceOf(ConfigError);
			const message = (error as Error).message;
			expect(message).toMatch(/PORT/);
			expect(message).toMatch(/APP_MASTER_KEY: must be base64 of exactly 32 bytes/);
			expect(message).toMatch(/ORIGIN: not a URL/);
		}
	});

	it('reads origins as a comma-separated list', () => {
		expect(loadConfig({ ORIGIN: 'https://desk.klinik.example, http://localhost:3000/' }).origins).toEqual([
			'https://desk.klinik.example',
			'http://localhost:3000'
		]);
	});

	it('SAFE-DEMO-1 seeds the demo clinic by default outside production only, or when DEMO_CLINIC=true', () => {
		expect(loadConfig({}).demoClinic).toBe(true);
		expect(loadConfig({ NODE_ENV: 'test' }).demoClinic).toBe(true);
		expect(loadConfig({ NODE_ENV: 'production' }).demoClinic).toBe(false);
		expect(loadConfig({ NODE_ENV: 'production', DEMO_CLINIC: 'true' }).demoClinic).toBe(true);
		expect(loadConfig({ DEMO_CLINIC: 'false' }).demoClinic).toBe(false);
		expect(() => loadConfig({ DEMO_CLINIC: 'yes' })).toThrow(/DEMO_CLINIC/);
	});
});
