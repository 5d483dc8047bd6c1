/** Small named values of the installation itself (e.g. the master-key check). */
export interface MetaRepository {
	get(key: string): Promise<Buffer | null>;
	/** Inserts or replaces. */
	set(key: string, value: Buffer): Promise<void>;
	delete(key: string): Promise<void>;
}
