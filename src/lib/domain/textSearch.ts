/**
 * Search text as people type it on a Turkish keyboard and elsewhere: case and the Turkish letters folded the way
 * a person would write them without the keyboard's special keys (`İpek` → `ipek`, `Şükrü` → `sukru`, `IŞIK` →
 * `isik`), other accents dropped, words split on anything that is not a letter or digit. Phone numbers are
 * searched by their digits.
 */

const TURKISH: Record<string, string> = {
	ı: 'i',
	İ: 'i',
	I: 'i',
	ş: 's',
	Ş: 's',
	ğ: 'g',
	Ğ: 'g',
	ç: 'c',
	Ç: 'c',
	ö: 'o',
	Ö: 'o',
	ü: 'u',
	Ü: 'u'
};

/** Folds a text for comparison: Turkish letters to their plain forms, other accents dropped, lower case. */
export function foldText(text: string): string {
	return text
		.replace(/[ıİIşŞğĞçÇöÖüÜ]/g, (c) => TURKISH[c])
		.normalize('NFD')
		.replace(/\p{M}/gu, '')
		.toLowerCase();
}

/** The searchable words of a text, folded; at most `limit` distinct ones, each at most 32 characters. */
export function searchWords(text: string, limit = 200): string[] {
	const words = new Set<string>();
	for (const word of foldText(text).split(/[^\p{L}\p{N}]+/u)) {
		if (word.length === 0) continue;
		words.add(word.slice(0, 32));
		if (words.size >= limit) break;
	}
	return [...words];
}

/** The digits of a phone number and its national form (`+905321234567` → `905321234567`, `05321234567`, `5321234567`). */
export function phoneKeys(e164: string): string[] {
	const digits = e164.replace(/\D/g, '');
	if (digits.length < 7) return [];
	const keys = new Set([digits]);
	// Turkish numbers are typed nationally with or without the trunk 0; others by their full digits.
	if (digits.startsWith('90') && digits.length === 12) {
		keys.add(digits.slice(2));
		keys.add('0' + digits.slice(2));
	}
	return [...keys];
}

/** What a person typed into a search box, as folded words; a typed phone number becomes its digits. */
export function queryWords(query: string): string[] {
	const trimmed = query.trim();
	if (/^[+\d\s().-]{4,}$/.test(trimmed) && /\d/.test(trimmed)) return [trimmed.replace(/\D/g, '')];
	return searchWords(trimmed, 8);
}
