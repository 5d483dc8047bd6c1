import type { Awareness } from 'y-protocols/awareness';
import { z } from 'zod';

/** A colleague on the same page as this person, on some device of theirs. */
export interface PageVisitor {
	userId: string;
	name: string;
}

/** What a device announces on the directory doc's presence; validated on read like everything from the network. */
const announced = z.object({
	user: z.object({ id: z.string().min(1).max(64), name: z.string().max(200) }),
	page: z.string().max(300)
});

/**
 * Who else is on the page this person is on (PRESENCE-PAGE-1), through the presence of the directory doc, which
 * every signed-in device holds open: each device announces its user and the page it shows. A tab that closes or a
 * device that goes offline drops its socket, and the server takes its presence away with it.
 */
export class PagePresence {
	visitors = $state<PageVisitor[]>([]);
	readonly #awareness: Awareness;
	readonly #me: string;
	#page = '';

	constructor(awareness: Awareness, me: { id: string; name: string }) {
		this.#awareness = awareness;
		this.#me = me.id;
		awareness.setLocalStateField('user', { id: me.id, name: me.name });
		awareness.on('change', this.#read);
	}

	/** The page this device shows now (its path: a patient's page is `/patients/<id>`). */
	show(page: string): void {
		this.#page = page;
		this.#awareness.setLocalStateField('page', page);
		this.#read();
	}

	destroy(): void {
		this.#awareness.off('change', this.#read);
		this.#awareness.setLocalStateField('page', '');
	}

	readonly #read = () => {
		const byUser: Record<string, PageVisitor> = {};
		for (const [client, state] of this.#awareness.getStates()) {
			if (client === this.#awareness.clientID) continue;
			const parsed = announced.safeParse(state);
			if (!parsed.success || parsed.data.user.id === this.#me || parsed.data.page !== this.#page || !this.#page) continue;
			byUser[parsed.data.user.id] = { userId: parsed.data.user.id, name: parsed.data.user.name };
		}
		this.visitors = Object.values(byUser).sort((a, b) => a.name.localeCompare(b.name, 'tr'));
	};
}
