import type { DocKind } from './docName.ts';

export const ROLES = ['admin', 'practitioner', 'reception'] as const;
export type Role = (typeof ROLES)[number];

const ALL: readonly Role[] = ROLES;

/**
 * Who may read and who may write each doc kind; the server enforces it per socket, the device reads it to know a
 * doc is read-only before it sends anything. Clinical notes are for clinicians and admins only: reception books
 * and answers, it does not read the chart. The directory (staff, practitioners, settings) is the admins' to change.
 */
const DOC_ACCESS: Record<DocKind, { read: readonly Role[]; write: readonly Role[] }> = {
	directory: { read: ALL, write: ['admin'] },
	contacts: { read: ALL, write: ALL },
	inbox: { read: ALL, write: ALL },
	thread: { read: ALL, write: ALL },
	schedule: { read: ALL, write: ALL },
	note: { read: ['admin', 'practitioner'], write: ['admin', 'practitioner'] }
};

export function mayOpenDoc(role: Role, kind: DocKind): boolean {
	return DOC_ACCESS[kind].read.includes(role);
}

export function mayWriteDoc(role: Role, kind: DocKind): boolean {
	return DOC_ACCESS[kind].write.includes(role);
}
