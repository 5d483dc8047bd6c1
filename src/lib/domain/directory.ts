import * as Y from 'yjs';
import { z } from 'zod';
import { docId, hexColor, readEntry, type HexColor } from './fields.ts';
import { newId } from './ids.ts';

/**
 * The `<clinic>/directory` doc: practitioners (and later rooms, services, tags, settings).
 * Each practitioner is a Y.Map under its id, so two devices editing different fields both keep their edit.
 */
export interface Practitioner {
	id: string;
	name: string;
	/** The colour of the practitioner's column and appointments: always `#rrggbb` (it goes into `style=`). */
	color: HexColor;
	active: boolean;
}

export const DEFAULT_PRACTITIONER_COLOR = hexColor.parse('#0f766e');

const practitionerName = z.string().trim().min(1).max(120);

export const practitionerInput = z.object({
	name: practitionerName,
	color: hexColor.default(DEFAULT_PRACTITIONER_COLOR),
	active: z.boolean().default(true)
});

/** What a read accepts (DOC-READ-1): the write rules; a bad colour or flag falls back, a bad name skips the entry. */
const storedPractitioner = z.object({
	name: practitionerName,
	color: hexColor.catch(DEFAULT_PRACTITIONER_COLOR),
	active: z.boolean().catch(true)
});

const practitioners = (doc: Y.Doc) => doc.getMap<unknown>('practitioners');

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
	for (const [id, entry] of practitioners(doc)) {
		const p = docId.safeParse(id).success ? readEntry(entry, storedPractitioner) : null;
		if (p) list.push({ id, ...p });
	}
	return list.sort((a, b) => a.name.localeCompare(b.name, 'tr'));
}
