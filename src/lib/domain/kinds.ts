import type { Role } from './roles.ts';

/**
 * Every doc kind and what the code knows about it, in one place: the key of its name, who may read and who may
 * write it, how long a device keeps it open, and the version of its shape. Doc names (`docName.ts`), the server's
 * access checks and the device's keep-policy all read this table; a new kind is one entry here.
 */

/**
 * How long a device keeps a doc open (socket and memory) once no screen holds it; its data stays in IndexedDB.
 * `signed-in`: open from first use until sign-out. `recent`: among the last few released, then closed.
 * `on-demand`: closed as soon as it is released.
 */
export type KeepPolicy = 'signed-in' | 'recent' | 'on-demand';

/** Readers or writers of a kind: some roles, or every staff member of the clinic. */
export type Roles = readonly Role[] | 'all-staff';

export interface KindSpec {
	/** The pattern of the name's third part, or null for a kind with one doc per clinic. */
	readonly key: RegExp | null;
	readonly read: Roles;
	readonly write: Roles;
	readonly keep: KeepPolicy;
	/** The version of the doc's shape; a change of shape raises it and comes with its migration. */
	readonly schemaVersion: number;
	/**
	 * The server keeps what was deleted (no Yjs garbage collection), so earlier versions can be shown from
	 * snapshots: notes. Costs the deleted content's bytes for the doc's life.
	 */
	readonly keepHistory?: boolean;
}

/** An id: lower-case, URL- and path-safe, never personal data (it may end up as a Y.Map key or in a doc name). */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** A calendar month, `yyyy-mm`. */
export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * Clinical notes are for clinicians and admins only: reception books and answers, it does not read the chart.
 * The directory (staff, practitioners, settings) is the admins' to change. What every screen needs (directory,
 * contacts, inbox) stays open while signed in; threads and months are browsed, so only the recent ones stay.
 */
export const KINDS = {
	directory: { key: null, read: 'all-staff', write: ['admin'], keep: 'signed-in', schemaVersion: 1 },
	contacts: { key: null, read: 'all-staff', write: 'all-staff', keep: 'signed-in', schemaVersion: 1 },
	inbox: { key: null, read: 'all-staff', write: 'all-staff', keep: 'signed-in', schemaVersion: 1 },
	thread: { key: ID_PATTERN, read: 'all-staff', write: 'all-staff', keep: 'recent', schemaVersion: 1 },
	schedule: { key: MONTH_PATTERN, read: 'all-staff', write: 'all-staff', keep: 'recent', schemaVersion: 1 },
	note: {
		key: ID_PATTERN,
		read: ['admin', 'practitioner'],
		write: ['admin', 'practitioner'],
		keep: 'on-demand',
		schemaVersion: 1,
		keepHistory: true
	},
	/** Administrative notes on a patient (`memo/<contactId>`): every staff member reads and writes them. */
	memo: { key: ID_PATTERN, read: 'all-staff', write: 'all-staff', keep: 'on-demand', schemaVersion: 1, keepHistory: true }
} as const satisfies Record<string, KindSpec>;

export type DocKind = keyof typeof KINDS;
export const DOC_KINDS = Object.keys(KINDS) as readonly DocKind[];

export function isDocKind(value: string): value is DocKind {
	return Object.hasOwn(KINDS, value);
}

export function kindSpec(kind: DocKind): KindSpec {
	return KINDS[kind];
}

export function rolesInclude(roles: Roles, role: Role): boolean {
	return roles === 'all-staff' || roles.includes(role);
}
