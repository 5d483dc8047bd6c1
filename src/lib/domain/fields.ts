import * as Y from 'yjs';
import { z } from 'zod';
import { isId } from './docName.ts';

/**
 * Field rules shared by every doc kind, used both when a device writes a value and when it reads one back
 * (DOC-READ-1): any peer can write anything into a doc, so nothing read from one is trusted before it passes.
 */

/** An id as `newId()` makes it (and as doc names allow it). */
export const docId = z.string().refine(isId, 'must be an id');

/**
 * `#rrggbb`, and nothing else: colours go into `style=` attributes, where any other text could add CSS.
 * Branded, so a component can only be handed a colour that passed this check.
 */
export const hexColor = z
	.string()
	.regex(/^#[0-9a-f]{6}$/i)
	.brand<'HexColor'>();
export type HexColor = z.output<typeof hexColor>;

const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

/** A clinic wall-clock time `YYYY-MM-DDTHH:mm` that exists on the calendar. */
export const wallTime = z.string().refine((v) => {
	const m = WALL_TIME.exec(v);
	if (!m) return false;
	const [, y, mo, d, h, mi] = m.map(Number);
	const date = new Date(Date.UTC(y, mo - 1, d));
	return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60;
}, 'must be a time like 2026-11-25T10:30');

/**
 * The fields of one entry (a Y.Map in a doc) checked against `schema`, or null when the entry is not a map
 * or a field fails: callers skip such an entry. Optional fields fall back with `.catch()` in their schema.
 */
export function readEntry<S extends z.ZodType>(entry: unknown, schema: S): z.output<S> | null {
	if (!(entry instanceof Y.Map)) return null;
	const parsed = schema.safeParse(Object.fromEntries(entry.entries()));
	return parsed.success ? parsed.data : null;
}
