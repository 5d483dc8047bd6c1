import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = path.resolve('src/lib/i18n/messages');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, string>;
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogs', () => {
	const areas = fs
		.readdirSync(dir)
		.filter((f) => f.startsWith('en.') && f.endsWith('.json'))
		.map((f) => f.slice('en.'.length));

	it.each(areas)('tr.%s has exactly the keys of en.%s, each with text and the same placeholders', (area) => {
		const en = read(`en.${area}`);
		const tr = read(`tr.${area}`);
		expect(Object.keys(tr).sort()).toEqual(Object.keys(en).sort());
		for (const [key, text] of Object.entries(en)) {
			expect(text.trim(), key).not.toBe('');
			expect(tr[key].trim(), key).not.toBe('');
			expect(placeholders(tr[key]), key).toEqual(placeholders(text));
		}
	});

	it('no key is defined in two area files', () => {
		const seen = new Map<string, string>();
		for (const area of areas)
			for (const key of Object.keys(read(`en.${area}`))) {
				expect(seen.get(key), `${key} in en.${area}`).toBeUndefined();
				seen.set(key, area);
			}
	});
});
