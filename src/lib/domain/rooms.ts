import * as Y from 'yjs';
import { z } from 'zod';
import { addOrdered, entryName, moveOrdered, orderedFields, PALETTE, readOrdered, setFields } from './catalog.ts';
import { docId, hexColor, type HexColor } from './fields.ts';

/** The directory's rooms (treatment rooms, chairs): a Y.Map per room under its id, in the order admins set. */
export interface Room {
	id: string;
	name: string;
	color: HexColor;
	active: boolean;
}

const DEFAULT_COLOR = PALETTE[PALETTE.length - 1];

export const roomInput = z.object({ name: entryName, color: hexColor.default(DEFAULT_COLOR), active: z.boolean().default(true) });
export const roomChange = z.object({ name: entryName, color: hexColor, active: z.boolean() }).partial();

/** DOC-READ-1: a bad colour or flag falls back, a bad name skips the room. */
const storedRoom = z.object({ ...orderedFields, color: hexColor.catch(DEFAULT_COLOR), active: z.boolean().catch(true) });

const rooms = (doc: Y.Doc) => doc.getMap<unknown>('rooms');

export function addRoom(doc: Y.Doc, input: z.input<typeof roomInput>): Room {
	const fields = roomInput.parse(input);
	return { id: addOrdered(doc, rooms(doc), fields), ...fields };
}

export function listRooms(doc: Y.Doc): Room[] {
	return readOrdered(rooms(doc), storedRoom).map(({ id, value: { name, color, active } }) => ({ id, name, color, active }));
}

export function changeRoom(doc: Y.Doc, id: string, change: z.input<typeof roomChange>): void {
	setFields(doc, rooms(doc), docId.parse(id), roomChange.parse(change));
}

export function moveRoom(doc: Y.Doc, id: string, toIndex: number): void {
	moveOrdered(doc, rooms(doc), readOrdered(rooms(doc), storedRoom), id, toIndex);
}
