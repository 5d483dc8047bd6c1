export interface ClinicRow {
	id: string;
	name: string;
	createdAt: number;
}

/** Clinics and their data keys, wrapped by the master key (the Keyring's `WrappedKeySource`). */
export interface ClinicRepository {
	/** Inserts the clinic with its wrapped data key, so a clinic never exists without its key. */
	insert(row: ClinicRow, wrappedKey: Buffer): Promise<void>;
	get(id: string): Promise<ClinicRow | null>;
	count(): Promise<number>;
	/** Every clinic, oldest first. */
	list(): Promise<ClinicRow[]>;
	/** True if the clinic exists. */
	rename(id: string, name: string): Promise<boolean>;
	getWrappedKey(clinicId: string): Promise<Buffer | null>;
}
