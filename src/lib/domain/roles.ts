import { kindSpec, rolesInclude, type DocKind } from './kinds.ts';

export const ROLES = ['admin', 'practitioner', 'reception'] as const;
export type Role = (typeof ROLES)[number];

/** The server enforces these per socket; the device reads them to know a doc is read-only before it sends anything. */
export function mayOpenDoc(role: Role, kind: DocKind): boolean {
	return rolesInclude(kindSpec(kind).read, role);
}

export function mayWriteDoc(role: Role, kind: DocKind): boolean {
	return rolesInclude(kindSpec(kind).write, role);
}
