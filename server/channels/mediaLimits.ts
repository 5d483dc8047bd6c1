/** Meta's documented upper bounds per media type (CHAN-MEDIA-2); other types get the document bound. */
export const MEDIA_LIMITS: Record<string, number> = {
	audio: 16 * 1024 * 1024,
	image: 5 * 1024 * 1024,
	video: 16 * 1024 * 1024,
	document: 100 * 1024 * 1024,
	sticker: 500 * 1024
};

export const mediaLimit = (kind: string): number => MEDIA_LIMITS[kind] ?? MEDIA_LIMITS.document;
