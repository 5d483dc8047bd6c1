import { untrack } from 'svelte';
import { nextSignOut, IDLE, type SignOutEvent, type SignOutState } from './signOutFlow.ts';
import { session } from './session.svelte.ts';

/**
 * The sign-out of the header: immediate when nothing is unsent, otherwise a question (`state`) the dialog shows and
 * answers through `wait`, `anyway` and `cancel`. Create it while a component initializes: it follows the live
 * count of unconfirmed changes for as long as that component lives.
 */
export class SignOutFlow {
	state = $state<SignOutState>(IDLE);
	readonly #signedOut: () => Promise<void>;
	#reading = false;

	/** `signedOut`: what to do once the device is wiped (go to the sign-in page). */
	constructor(signedOut: () => Promise<void>) {
		this.#signedOut = signedOut;
		$effect(() => {
			// Ended meanwhile (by the server, or here): nothing to wait for, and never a wipe that skips showing the loss.
			if (!session.user || session.lostChanges) {
				untrack(() => (this.state = IDLE));
				return;
			}
			const count = session.sync.pending;
			untrack(() => this.#dispatch({ type: 'pending', count }));
		});
	}

	async press(): Promise<void> {
		if (this.state.step !== 'idle' || this.#reading) return;
		this.#reading = true;
		try {
			this.#dispatch({ type: 'pressed', unsent: await session.unsent() });
		} finally {
			this.#reading = false;
		}
	}

	wait(): void {
		this.#dispatch({ type: 'wait' });
	}

	anyway(): void {
		this.#dispatch({ type: 'anyway' });
	}

	cancel(): void {
		this.#dispatch({ type: 'cancel' });
	}

	#dispatch(event: SignOutEvent): void {
		const before = this.state;
		this.state = nextSignOut(before, event);
		if (this.state.step === 'signing-out' && before.step !== 'signing-out') void this.#signOut();
	}

	async #signOut(): Promise<void> {
		try {
			await session.signOut();
			await this.#signedOut();
		} finally {
			this.state = IDLE;
		}
	}
}
