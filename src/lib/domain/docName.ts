/**
 * Doc names are paths `<clinicId>/<kind>[/<key>]`: the unit of sync and of access.
 * Shared by devices, the server and tests; nothing else builds or parses them.
 */

import { ID_PATTERN, isDocKind, kindSpec, type DocKind } from './kinds.ts';

export { DOC_KINDS, type DocKind } from './kinds.ts';

export interface DocName {
	clinicId: string;
	kind: DocKind;
	/** Present exactly for the keyed kinds: thread id, `yyyy-mm` month, or contact id. */
	key?: string;
}

export function isId(value: string): boolean {
	return ID_PATTERN.test(value);
}

/** Returns null for anything that is not a well-formed doc name, so callers can refuse it. */
export function parseDocName(name: string): DocName | null {
	const parts = name.split('/');
	if (parts.length < 2 || parts.length > 3) return null;
	const [clinicId, kindText, key] = parts;
	if (!isId(clinicId)) return null;
	if (!isDocKind(kindText)) return null;
	const kind = kindText;
	const keyPattern = kindSpec(kind).key;
	if (key === undefined) return keyPattern === null ? { clinicId, kind } : null;
	return keyPattern !== null && keyPattern.test(key) ? { clinicId, kind, key } : null;
}

export function formatDocName(doc: DocName): string {
	const name = doc.key === undefined ? `${doc.clinicId}/${doc.kind}` : `${doc.clinicId}/${doc.kind}/${doc.key}`;
	if (!parseDocName(name)) throw new Error(`not a valid doc name: ${name}`);
	return name;
}

export const docNames = {
	directory: (clinicId: string) => formatDocName({ clinicId, kind: 'directory' }),
	contacts: (clinicId: string) => formatDocName({ clinicId, kind: 'contacts' }),
	inbox: (clinicId: string) => formatDocName({ clinicId, kind: 'inbox' }),
	thread: (clinicId: string, threadId: string) => formatDocName({ clinicId, kind: 'thread', key: threadId }),
	schedule: (clinicId: string, month: string) => formatDocName({ clinicId, kind: 'schedule', key: month }),
	note: (clinicId: string, contactId: string) => formatDocName({ clinicId, kind: 'note', key: contactId }),
	memo: (clinicId: string, contactId: string) => formatDocName({ clinicId, kind: 'memo', key: contactId })
};
