/** Formatters by locale and options; the option sets come from the code, so the map stays small. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * A date in a locale. A formatter is costly to make (a patient's timeline of 200 entries made 200), so each locale
 * and option set gets one, kept.
 */
export function formatDate(locale: string, date: Date, options: Intl.DateTimeFormatOptions): string {
	const key = `${locale}|${JSON.stringify(options)}`;
	let formatter = formatters.get(key);
	if (!formatter) {
		formatter = new Intl.DateTimeFormat(locale, options);
		formatters.set(key, formatter);
	}
	return formatter.format(date);
}
