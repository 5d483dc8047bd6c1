/** Dark enough for white text on them (WCAG AA), and far enough apart to tell two people's carets apart. */
const PALETTE = ['#0f766e', '#1d4ed8', '#7c3aed', '#be123c', '#b45309', '#15803d', '#9d174d', '#0e7490'] as const;

/** A person's colour in shared editors: fixed by their id, so it is the same on every device. */
export function colourOf(userId: string): string {
	let hash = 0;
	for (const c of userId) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) | 0;
	return PALETTE[Math.abs(hash) % PALETTE.length];
}
