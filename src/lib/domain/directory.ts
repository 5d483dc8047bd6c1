import * as Y from 'yjs';
import { z } from 'zod';
import { dayHours, readWeek, WEEKDAYS, type DayHours, type Weekday, type WeeklyHours } from './businessHours.ts';
import { addOrdered, clearField, entryName, moveOrdered, orderedFields, readOrdered, setFields } from './catalog.ts';
import { businessHours } from './clinicSettings.ts';
import { docId, hexColor, type HexColor } from './fields.ts';

/**
 * The `<clinic>/directory` doc's practitioners: a Y.Map per practitioner under its id (field-level merges), in the
 * order admins set (`catalog.ts`). Clinic settings are in `clinicSettings.ts`, rooms and services in `rooms.ts` and
 * `services.ts`: the same doc, their own top-level maps.
 */
export interface Practitioner {
	id: string;
	name: string;
	/** The colour of the practitioner's column and appointments: always `#rrggbb` (it goes into `style=`). */
	color: HexColor;
	/** False once deactivated: kept for the appointments they had, not offered for new ones. */
	active: boolean;
}

export const DEFAULT_PRACTITIONER_COLOR = hexColor.parse('#0f766e');

export const practitionerInput = z.object({
	name: entryName,
	color: hexColor.default(DEFAULT_PRACTITIONER_COLOR),
	active: z.boolean().default(true)
});

export const practitionerChange = z.object({ name: entryName, color: hexColor, active: z.boolean() }).partial();
export type PractitionerChange = z.input<typeof practitionerChange>;

/** What a read accepts (DOC-READ-1): the write rules; a bad colour or flag falls back, a bad name skips the entry. */
const storedPractitioner = z.object({
	...orderedFields,
	color: hexColor.catch(DEFAULT_PRACTITIONER_COLOR),
	active: z.boolean().catch(true)
});

const practitioners = (doc: Y.Doc) => doc.getMap<unknown>('practitioners');
/** A practitioner's own hours for a weekday are the field `hours.<weekday>`: absent, the clinic's hours apply. */
const hoursField = (day: Weekday) => `hours.${day}`;

export function addPractitioner(doc: Y.Doc, input: z.input<typeof practitionerInput>): Practitioner {
	const fields = practitionerInput.parse(input);
	return { id: addOrdered(doc, practitioners(doc), fields), ...fields };
}

/** Every practitioner, active or not, in the order admins set. */
export function listPractitioners(doc: Y.Doc): Practitioner[] {
	return readOrdered(practitioners(doc), storedPractitioner).map(({ id, value: { name, color, active } }) => ({
		id,
		name,
		color,
		active
	}));
}

/** Renames, recolours, deactivates or reactivates. */
export function changePractitioner(doc: Y.Doc, id: string, change: PractitionerChange): void {
	setFields(doc, practitioners(doc), docId.parse(id), practitionerChange.parse(change));
}

/** Moves a practitioner's column to `toIndex` of the current order. */
export function movePractitioner(doc: Y.Doc, id: string, toIndex: number): void {
	const map = practitioners(doc);
	moveOrdered(doc, map, readOrdered(map, storedPractitioner), id, toIndex);
}

/** Whether two names are the same person's to a reader: case and spacing aside. */
export function isSameName(a: string, b: string): boolean {
	const key = (name: string) => name.trim().toLocaleLowerCase('tr').replace(/\s+/g, ' ');
	return key(a) === key(b);
}

/** Practitioners other than `exceptId` with the same name (`isSameName`): to warn, not to refuse. */
export function sameNamePractitioners(doc: Y.Doc, name: string, exceptId?: string): Practitioner[] {
	return listPractitioners(doc).filter((p) => p.id !== exceptId && isSameName(p.name, name));
}

/** Sets a practitioner's own hours for a weekday, or with `null` returns that day to the clinic's hours. */
export function setPractitionerHours(doc: Y.Doc, id: string, day: Weekday, hours: DayHours | null): void {
	const map = practitioners(doc);
	if (hours === null) clearField(doc, map, docId.parse(id), hoursField(day));
	else setFields(doc, map, docId.parse(id), { [hoursField(day)]: dayHours.parse(hours) });
}

export interface PractitionerHours {
	/** The weekdays with hours of their own; the others follow the clinic. */
	own: Partial<WeeklyHours>;
	/** What applies each weekday. */
	effective: WeeklyHours;
}

/** A practitioner's hours: their own per weekday where set and valid (DOC-READ-1), the clinic's otherwise. */
export function practitionerHours(doc: Y.Doc, id: string): PractitionerHours {
	const clinic = businessHours(doc);
	const entry = practitioners(doc).get(id);
	const stored = (day: Weekday) => (entry instanceof Y.Map ? entry.get(hoursField(day)) : undefined);
	const effective = readWeek(stored, clinic);
	const own: Partial<WeeklyHours> = {};
	for (const day of WEEKDAYS) if (dayHours.safeParse(stored(day)).success) own[day] = effective[day];
	return { own, effective };
}
