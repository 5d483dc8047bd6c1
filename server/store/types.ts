import type { Role } from '../../src/lib/domain/roles.ts';

/**
 * The storage contract. SQLite (embedded default) implements it now; PostgreSQL fills the same contract
 * later and runs the same tests. It stores opaque sealed blobs: encryption happens above it.
 */
export interface ClinicRow {
	id: string;
	name: string;
	createdAt: number;
}

export interface UserRow {
	id: string;
	clinicId: string;
	email: string;
	name: string;
	role: Role;
	passwordHash: string;
	createdAt: number;
}

export interface SessionRow {
	/** SHA-256 of the token, hex: the token itself is never stored. */
	id: string;
	userId: string;
	createdAt: number;
	expiresAt: number;
	lastSeenAt: number;
	ip: string | null;
	userAgent: string | null;
}

export interface TicketRow {
	/** SHA-256 of the ticket, hex. */
	id: string;
	sessionId: string;
	docName: string;
	expiresAt: number;
}

export type DocRecordKind = 'update' | 'snapshot';

export interface DocRecord {
	docName: string;
	clinicId: string;
	seq: number;
	kind: DocRecordKind;
	/** Sealed bytes (see server/crypto). */
	data: Buffer;
}

export interface Store {
	getMeta(key: string): Promise<Buffer | null>;
	setMeta(key: string, value: Buffer): Promise<void>;

	insertClinic(row: ClinicRow, wrappedKey: Buffer): Promise<void>;
	getClinic(id: string): Promise<ClinicRow | null>;
	countClinics(): Promise<number>;
	getWrappedKey(clinicId: string): Promise<Buffer | null>;

	insertUser(row: UserRow): Promise<void>;
	getUserById(id: string): Promise<UserRow | null>;
	getUserByEmail(email: string): Promise<UserRow | null>;

	insertSession(row: SessionRow): Promise<void>;
	getSession(id: string): Promise<SessionRow | null>;
	touchSession(id: string, expiresAt: number, lastSeenAt: number): Promise<void>;
	deleteSession(id: string): Promise<boolean>;
	listSessions(userId: string): Promise<SessionRow[]>;
	/** Of the given session ids, the ones that exist and have not expired at `now`. */
	liveSessionIds(ids: string[], now: number): Promise<Set<string>>;
	deleteExpiredSessions(now: number): Promise<number>;

	insertTicket(row: TicketRow): Promise<void>;
	/** Removes and returns the ticket: a ticket can be taken once. */
	takeTicket(id: string): Promise<TicketRow | null>;
	deleteExpiredTickets(now: number): Promise<number>;

	/** A doc's records in sequence order: at most one snapshot, then the updates after it. */
	loadDocRecords(docName: string): Promise<DocRecord[]>;
	/** Appends records of any docs in one transaction (the group commit). */
	appendDocRecords(records: DocRecord[]): Promise<void>;
	/** Replaces every record of a doc up to `snapshot.seq` with the snapshot, in one transaction. */
	compactDoc(snapshot: DocRecord): Promise<void>;
	/** How many docs a clinic has stored and the bytes of their records (for its quotas). */
	clinicUsage(clinicId: string): Promise<{ docs: number; bytes: number }>;

	close(): Promise<void>;
}
