/**
 * Orders two ASCII strings (ISO wall times `YYYY-MM-DDTHH:mm`, ids) by code unit: their own order, the same on every
 * device. Not `localeCompare`: a locale's collation is not what these strings mean, and its first use in a page sets
 * up ICU's collator (milliseconds, measured on the week's cold start, where the book sorts its first rows).
 */
export function byCodeUnit(x: string, y: string): number {
	return x < y ? -1 : x > y ? 1 : 0;
}
