import * as Y from 'yjs';
import { z } from 'zod';
import { newId } from './ids.ts';

/**
 * The `<clinic>/directory` doc: practitioners (and later rooms, services, tags, settings).
 * Each practitioner is a Y.Map under its id, so two devices editing different fields both keep their edit.
 */
export interface Practitioner {
	id: string;
	name: string;
	/** A CSS colour for the practitioner's column and appointments. */
	color: string;
	active: boolean;
}

export const practitionerInput = z.object({
	name: z.string().trim().min(1).max(120),
	color: z
		.string()
		.regex(/^#[0-9a-f]{6}$/i)
		.default('#0f766e'),
	active: z.boolean().default(true)
});

const practitioners = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('practitioners');

export function addPractitioner(doc: Y.Doc, input: z.input<typeof practitionerInput>): Practitioner {
	const p = { id: newId(), ...practitionerInput.parse(input) };
	doc.transact(() => {
		const map = new Y.Map<unknown>();
		for (const [k, v] of Object.entries(p)) map.set(k, v);
		practitioners(doc).set(p.id, map);
	});
	return p;
}

export function listPractitioners(doc: Y.Doc): Practitioner[] {
	const list: Practitioner[] = [];
	for (const [id, map] of practitioners(doc)) {
		const name = map.get('name');
		if (typeof name !== 'string') continue;
		list.push({
			id,
			name,
			color: typeof map.get('color') === 'string' ? (map.get('color') as string) : '#0f766e',
			active: map.get('active') !== false
		});
	}
	return list.sort((a, b) => a.name.localeCompare(b.name, 'tr'));
}
