import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * DOC-READ-2, as a tripwire: the expressions Svelte components put into `style=`, `style:…=`, `href` and `src`
 * read only these fields. Each is a validated value from `src/lib/domain` (a `HexColor`, a wall time passed to
 * `minuteOfDay`, a bounded duration, an `id` every read checks with `docId` and `resolve()` puts into a path
 * segment) or not from a doc at all. A new field here needs its read validated first.
 */
const ALLOWED_FIELDS = new Set(['color', 'start', 'durationMinutes', 'length', 'href', 'max', 'id']);

const ROOT = path.resolve(import.meta.dirname, '../..');

function svelteFiles(dir: string): string[] {
	return fs
		.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
		.filter((f) => f.endsWith('.svelte'))
		.map((f) => path.join(dir, f));
}

/** The `{…}` expressions inside `style="…"`, `style:x={…}`, `href=…` and `src=…` attributes. */
function attributeExpressions(source: string): string[] {
	const expressions: string[] = [];
	const attribute = /\s(?:style|style:[\w-]+|href|src)=("|\{)/g;
	for (let m; (m = attribute.exec(source));) {
		let i = m.index + m[0].length - 1;
		const quoted = m[1] === '"';
		if (quoted) i++;
		let depth = 0;
		let start = -1;
		for (; i < source.length; i++) {
			const c = source[i];
			if (c === '{') {
				if (depth++ === 0) start = i + 1;
			} else if (c === '}') {
				if (--depth === 0) {
					expressions.push(source.slice(start, i));
					if (!quoted) break;
				}
			} else if (quoted && c === '"' && depth === 0) break;
		}
	}
	return expressions;
}

describe('DOC-READ-2 components put only validated doc values into style, href and src', () => {
	const files = [...svelteFiles('src/lib/ui'), ...svelteFiles('src/routes')];

	it('DOC-READ-2 finds the attributes it checks', () => {
		const all = files.flatMap((f) => attributeExpressions(fs.readFileSync(path.join(ROOT, f), 'utf8')));
		expect(all.some((e) => e.includes('row.color'))).toBe(true);
	});

	it.each(files)('DOC-READ-2 %s reads only validated fields there', (file) => {
		for (const expression of attributeExpressions(fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
			for (const [, field] of expression.matchAll(/[\w$)\]]\s*\??\.\s*([A-Za-z_$][\w$]*)/g)) {
				expect(ALLOWED_FIELDS, `${file}: {${expression.trim()}}`).toContain(field);
			}
		}
	});
});
