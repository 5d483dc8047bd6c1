/** A person's initials for an avatar: the first letters of the first and last words. */
export function initials(name: string): string {
	const words = name.trim().split(/\s+/).filter(Boolean);
	if (words.length === 0) return '?';
	const first = words[0][0] ?? '';
	const last = words.length > 1 ? (words.at(-1)?.[0] ?? '') : '';
	return (first + last).toLocaleUpperCase('tr');
}

const AVATAR_COLOURS = ['#0f766e', '#1d4ed8', '#7c3aed', '#be185d', '#b45309', '#15803d', '#0369a1', '#9f1239'];

/** The same colleague always gets the same colour, on every device. */
export function colourOf(id: string): string {
	let h = 0;
	for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
	return AVATAR_COLOURS[h % AVATAR_COLOURS.length];
}
