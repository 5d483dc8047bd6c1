import type { Awareness } from 'y-protocols/awareness';
import { viewersOf, type Viewer } from './viewers.ts';

/** Typing stops counting after a pause, so a closed tablet does not "type" forever. */
const TYPING_MS = 4000;

/**
 * Who else is viewing or typing in the thread, from the doc's awareness (the sync's `DocHandle.awareness`). Until
 * the sync exposes one, `awareness` is null and the list stays empty: the thread works without presence.
 */
export class ThreadPresence {
	viewers = $state<Viewer[]>([]);
	readonly #awareness: Awareness | null;
	readonly #me: string;
	#typingTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(awareness: Awareness | null, me: { id: string; name: string }) {
		this.#awareness = awareness;
		this.#me = me.id;
		if (!awareness) return;
		awareness.setLocalState({ user: { id: me.id, name: me.name }, typing: false });
		awareness.on('change', this.#read);
		this.#read();
	}

	/** Call on each keystroke; typing ends after a pause or on `stoppedTyping`. */
	typing(): void {
		if (!this.#awareness) return;
		clearTimeout(this.#typingTimer);
		if (this.#awareness.getLocalState()?.typing !== true) this.#awareness.setLocalStateField('typing', true);
		this.#typingTimer = setTimeout(() => this.stoppedTyping(), TYPING_MS);
	}

	stoppedTyping(): void {
		clearTimeout(this.#typingTimer);
		if (this.#awareness?.getLocalState()?.typing) this.#awareness.setLocalStateField('typing', false);
	}

	destroy(): void {
		clearTimeout(this.#typingTimer);
		if (!this.#awareness) return;
		this.#awareness.off('change', this.#read);
		this.#awareness.setLocalState(null);
	}

	readonly #read = () => {
		if (this.#awareness) this.viewers = viewersOf(this.#awareness, this.#me);
	};
}

export type { Viewer };

/** The handle's awareness when the sync provides one (feature-detected: it lands separately). */
export function awarenessOf(handle: object): Awareness | null {
	const value = (handle as { awareness?: unknown }).awareness;
	return value && typeof value === 'object' && 'getStates' in value ? (value as Awareness) : null;
}
