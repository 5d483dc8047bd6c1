import type { Patient } from '$lib/domain/patients.ts';

/**
 * The patients' query tables: one row per patient, kept from the contacts doc by `PatientIndex`, read by the
 * patient list and search, offline and fast with tens of thousands of patients.
 */
export interface PatientRow {
	id: string;
	/** The patient as the doc holds it, for the list's lines. */
	patient: Patient;
	/** The folded name (then the id), so the list reads in name order from an index. */
	sortKey: string;
	/** Folded name words, phone digits in every usual spelling, email words, folded tags: the search index. */
	words: string[];
	tags: string[];
}

/**
 * A patient's search entry, beside its row: keyed by the row's `sortKey`, so a key-only read of the words or tags
 * index yields matches already in list order, and a walk of the table in key order reads only these few fields.
 */
export interface PatientSearchEntry {
	sortKey: string;
	id: string;
	words: string[];
	tags: string[];
}

/** Version 2 defined no patient tables (a placeholder); version 4 adds them. */
export const PATIENT_TABLES: Record<string, string> = {};

export const PATIENT_TABLES_V4: Record<string, string> = {
	patientRows: 'id, sortKey, *words, *tags'
};

/** Version 5: searches read `patientSearch`; rows keep only what the list and lookups by id need. */
export const PATIENT_TABLES_V5: Record<string, string> = {
	patientRows: 'id, sortKey',
	patientSearch: 'sortKey, &id, *words, *tags'
};
