import type { Awareness } from 'y-protocols/awareness';
import { z } from 'zod';

/** Someone else with this thread open (THREAD-PRESENCE-1). */
export interface Viewer {
	userId: string;
	name: string;
	typing: boolean;
}

/** What a device announces about itself on a thread; validated on read like everything from the network. */
const announced = z.object({
	user: z.object({ id: z.string().min(1).max(64), name: z.string().max(200) }),
	typing: z.boolean().catch(false)
});

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
		if (!this.#awareness) return;
		const byUser: Record<string, Viewer> = {};
		for (const [client, state] of this.#awareness.getStates()) {
			if (client === this.#awareness.clientID) continue;
			const parsed = announced.safeParse(state);
			if (!parsed.success || parsed.data.user.id === this.#me) continue;
			const { id, name } = parsed.data.user;
			// The same colleague on two devices is one avatar, typing if either is.
			byUser[id] = { userId: id, name, typing: parsed.data.typing || (byUser[id]?.typing ?? false) };
		}
		this.viewers = Object.values(byUser).sort((a, b) => a.name.localeCompare(b.name, 'tr'));
	};
}

/** The handle's awareness when the sync provides one (feature-detected: it lands separately). */
export function awarenessOf(handle: object): Awareness | null {
	const value = (handle as { awareness?: unknown }).awareness;
	return value && typeof value === 'object' && 'getStates' in value ? (value as Awareness) : null;
}
