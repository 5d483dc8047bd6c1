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

/**
 * The other people in a doc's awareness, by name: not this device, not the same user on another device of theirs,
 * one avatar per colleague (typing if any of their devices is), states that do not parse skipped.
 */
export function viewersOf(awareness: Awareness, me: string): Viewer[] {
	const byUser: Record<string, Viewer> = {};
	for (const [client, state] of awareness.getStates()) {
		if (client === awareness.clientID) continue;
		const parsed = announced.safeParse(state);
		if (!parsed.success || parsed.data.user.id === me) continue;
		const { id, name } = parsed.data.user;
		byUser[id] = { userId: id, name, typing: parsed.data.typing || (byUser[id]?.typing ?? false) };
	}
	return Object.values(byUser).sort((a, b) => a.name.localeCompare(b.name, 'tr'));
}
