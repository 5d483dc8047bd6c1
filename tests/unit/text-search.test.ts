import { describe, expect, it } from 'vitest';
import { foldText, phoneKeys, queryWords, searchWords } from '../../src/lib/domain/textSearch.ts';

describe('search text as people type it', () => {
	it('folds the Turkish letters both ways', () => {
		expect(foldText('İpek IŞIK Şükrü Çağrı Öztürk')).toBe('ipek isik sukru cagri ozturk');
		expect(searchWords('İpek Yılmaz, randevu?')).toEqual(['ipek', 'yilmaz', 'randevu']);
		expect(queryWords('ipek')).toEqual(['ipek']);
		expect(queryWords('ŞÜKRÜ')).toEqual(['sukru']);
	});

	it('a phone number is searched by its digits in every usual spelling', () => {
		const keys = phoneKeys('+905321234567');
		for (const typed of ['05321234567', '0532 123 45 67', '+90 532 123 45 67', '5321234567']) {
			const [digits] = queryWords(typed);
			expect(
				keys.some((k) => k.startsWith(digits)),
				typed
			).toBe(true);
		}
		expect(keys.some((k) => k.startsWith(queryWords('0532 12')[0]))).toBe(true);
	});
});
