/** The message of anything thrown, for logs (which never carry stacks or payloads). */
export function errorMessage(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
