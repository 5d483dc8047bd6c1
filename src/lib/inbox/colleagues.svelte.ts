import { api } from '$lib/api/client.ts';
import { z } from 'zod';

export interface Colleague {
	id: string;
	name: string;
	role: 'admin' | 'practitioner' | 'reception';
}

const stored = z.array(z.object({ id: z.string(), name: z.string(), role: z.enum(['admin', 'practitioner', 'reception']) }));

/**
 * The clinic's active staff (names for assignees and mentions), asked from the server and kept on the device so
 * the inbox shows names offline too.
 */
export class Colleagues {
	list = $state<Colleague[]>([]);
	readonly #key: string;

	constructor(clinicId: string) {
		this.#key = `frontdesk.colleagues.${clinicId}`;
		const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(this.#key);
		if (saved) {
			const parsed = stored.safeParse(JSON.parse(saved));
			if (parsed.success) this.list = parsed.data;
		}
	}

	/** Asks the server again; offline, the kept list stays. */
	async refresh(): Promise<void> {
		try {
			const list = await api.staff.colleagues.query();
			this.list = list;
			localStorage.setItem(this.#key, JSON.stringify(list));
		} catch {
			// Offline or signed out: what the device kept is what it shows.
		}
	}

	nameOf(id: string | null): string | null {
		return id === null ? null : (this.list.find((c) => c.id === id)?.name ?? null);
	}
}
