import { unsentCount, type UnsentDoc } from '$lib/local/index.ts';

/**
 * Signing out while changes are unsent: where the person is in it. `asking` shows what would be lost; `waiting`
 * signs out by itself once the server has confirmed everything; `signing-out` wipes (`losing`: with changes unsent).
 */
export type SignOutState =
	| { step: 'idle' }
	| { step: 'asking'; unsent: UnsentDoc[]; left: number }
	| { step: 'waiting'; unsent: UnsentDoc[]; left: number; from: number }
	| { step: 'signing-out'; losing: boolean };

export type SignOutEvent =
	/** The sign-out button was pressed; `unsent` is what the server has not confirmed at that moment. */
	| { type: 'pressed'; unsent: UnsentDoc[] }
	/** The live count of unconfirmed changes. */
	| { type: 'pending'; count: number }
	| { type: 'wait' }
	| { type: 'anyway' }
	| { type: 'cancel' };

export const IDLE: SignOutState = { step: 'idle' };

/** The next state; an event that does not apply where the person is changes nothing. */
export function nextSignOut(state: SignOutState, event: SignOutEvent): SignOutState {
	switch (event.type) {
		case 'pressed': {
			if (state.step !== 'idle') return state;
			const left = unsentCount(event.unsent);
			return left === 0 ? { step: 'signing-out', losing: false } : { step: 'asking', unsent: event.unsent, left };
		}
		case 'pending':
			if (state.step === 'asking') return { ...state, left: event.count };
			if (state.step === 'waiting')
				return event.count === 0 ? { step: 'signing-out', losing: false } : { ...state, left: event.count };
			return state;
		case 'wait':
			if (state.step !== 'asking') return state;
			// Sent while the person read the list: nothing left to wait for.
			if (state.left === 0) return { step: 'signing-out', losing: false };
			return { step: 'waiting', unsent: state.unsent, left: state.left, from: state.left };
		case 'anyway':
			if (state.step !== 'asking' && state.step !== 'waiting') return state;
			return { step: 'signing-out', losing: state.left > 0 };
		case 'cancel':
			return state.step === 'asking' || state.step === 'waiting' ? IDLE : state;
	}
}
