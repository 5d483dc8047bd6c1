/**
 * The patients' query tables (Dexie store definitions, version 2 of the device database): kept from the contacts
 * doc by the patients' indexer, read by the patient list and search. Owned by the patients area.
 */
export const PATIENT_TABLES: Record<string, string> = {};
