import type { DocKind } from './docName.ts';

export const ROLES = ['admin', 'practitioner', 'reception'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Which doc kinds each role may sync. Clinical notes are for clinicians and admins only:
 * reception books and answers, it does not read the chart.
 */
const DOC_ACCESS: Record<Role, ReadonlySet<DocKind>> = {
	admin: new Set(['directory', 'contacts', 'inbox', 'thread', 'schedule', 'note']),
	practitioner: new Set(['directory', 'contacts', 'inbox', 'thread', 'schedule', 'note']),
	reception: new Set(['directory', 'contacts', 'inbox', 'thread', 'schedule'])
};

export function mayOpenDoc(role: Role, kind: DocKind): boolean {
	return DOC_ACCESS[role].has(kind);
}
