/**
 * Doc names are paths `<clinicId>/<kind>[/<key>]`: the unit of sync and of access.
 * Shared by devices, the server and tests; nothing else builds or parses them.
 */

export const DOC_KINDS = ['directory', 'contacts', 'inbox', 'thread', 'schedule', 'note'] as const;
export type DocKind = (typeof DOC_KINDS)[number];

export interface DocName {
	clinicId: string;
	kind: DocKind;
	/** Present exactly for the keyed kinds: thread id, `yyyy-mm` month, or contact id. */
	key?: string;
}

const KEYED: ReadonlySet<DocKind> = new Set(['thread', 'schedule', 'note']);
const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export function isId(value: string): boolean {
	return ID.test(value);
}

/** Returns null for anything that is not a well-formed doc name, so callers can refuse it. */
export function parseDocName(name: string): DocName | null {
	const parts = name.split('/');
	if (parts.length < 2 || parts.length > 3) return null;
	const [clinicId, kindText, key] = parts;
	if (!isId(clinicId)) return null;
	if (!(DOC_KINDS as readonly string[]).includes(kindText)) return null;
	const kind = kindText as DocKind;
	if (KEYED.has(kind) !== (key !== undefined)) return null;
	if (key !== undefined) {
		if (kind === 'schedule' ? !MONTH.test(key) : !isId(key)) return null;
		return { clinicId, kind, key };
	}
	return { clinicId, kind };
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
	note: (clinicId: string, contactId: string) => formatDocName({ clinicId, kind: 'note', key: contactId })
};
