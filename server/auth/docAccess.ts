import type { DocName } from '../../src/lib/domain/docName.ts';
import { mayOpenDoc, type Role } from '../../src/lib/domain/roles.ts';

export type DocRefusal = 'doc of another clinic' | 'role may not open this doc';

/** Whether a staff member may open a doc: it is of their clinic, and their role may read its kind. */
export function refuseDoc(user: { clinicId: string; role: Role }, doc: DocName): DocRefusal | null {
	if (user.clinicId !== doc.clinicId) return 'doc of another clinic';
	if (!mayOpenDoc(user.role, doc.kind)) return 'role may not open this doc';
	return null;
}
