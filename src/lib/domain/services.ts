import * as Y from 'yjs';
import { z } from 'zod';
import { addOrdered, entryName, moveOrdered, orderedFields, PALETTE, readOrdered, setFields } from './catalog.ts';
import { docId, hexColor, type HexColor } from './fields.ts';

/**
 * The directory's services (what a patient books: a check-up, a cleaning): a Y.Map per service under its id, in
 * the order admins set, each with the length an appointment for it gets by default and the buffer kept free after.
 */
export interface Service {
	id: string;
	name: string;
	color: HexColor;
	active: boolean;
	durationMinutes: number;
	bufferMinutes: number;
}

const DEFAULT_COLOR = PALETTE[3];
const DEFAULT_DURATION = 30;

const durationMinutes = z
	.number('catalog.duration')
	.int('catalog.duration')
	.min(5, 'catalog.duration')
	.max(12 * 60, 'catalog.duration');
const bufferMinutes = z.number('catalog.buffer').int('catalog.buffer').min(0, 'catalog.buffer').max(240, 'catalog.buffer');

export const serviceInput = z.object({
	name: entryName,
	color: hexColor.default(DEFAULT_COLOR),
	active: z.boolean().default(true),
	durationMinutes: durationMinutes.default(DEFAULT_DURATION),
	bufferMinutes: bufferMinutes.default(0)
});
export const serviceChange = z
	.object({ name: entryName, color: hexColor, active: z.boolean(), durationMinutes, bufferMinutes })
	.partial();

/** DOC-READ-1: bad colour, flag, duration or buffer fall back each on its own; a bad name skips the service. */
const storedService = z.object({
	...orderedFields,
	color: hexColor.catch(DEFAULT_COLOR),
	active: z.boolean().catch(true),
	durationMinutes: durationMinutes.catch(DEFAULT_DURATION),
	bufferMinutes: bufferMinutes.catch(0)
});

const services = (doc: Y.Doc) => doc.getMap<unknown>('services');

export function addService(doc: Y.Doc, input: z.input<typeof serviceInput>): Service {
	const fields = serviceInput.parse(input);
	return { id: addOrdered(doc, services(doc), fields), ...fields };
}

export function listServices(doc: Y.Doc): Service[] {
	return readOrdered(services(doc), storedService).map(({ id, value: { position: _, ...service } }) => ({ id, ...service }));
}

export function changeService(doc: Y.Doc, id: string, change: z.input<typeof serviceChange>): void {
	setFields(doc, services(doc), docId.parse(id), serviceChange.parse(change));
}

export function moveService(doc: Y.Doc, id: string, toIndex: number): void {
	moveOrdered(doc, services(doc), readOrdered(services(doc), storedService), id, toIndex);
}

/** Each service's buffer by its id: how long after an appointment for it the practitioner and room stay taken. */
export function serviceBuffers(list: readonly Pick<Service, 'id' | 'bufferMinutes'>[]): Map<string, number> {
	return new Map(list.map((s) => [s.id, s.bufferMinutes]));
}
