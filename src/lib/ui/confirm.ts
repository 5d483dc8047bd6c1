/** A question put to the person before something that cannot be taken back. */
export interface ConfirmRequest {
	title: string;
	body: string;
	/** The confirm button's label: the action itself ("Sign out device"), never a bare "OK". */
	confirm: string;
	/** Runs on confirm; a message returned is shown in the dialog, which stays open. */
	run: () => string | null | Promise<string | null>;
}
