import { describe, expect, it } from 'vitest';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { initials } from '../../src/lib/inbox/thread/people.ts';
import { viewersOf } from '../../src/lib/inbox/thread/viewers.ts';

/** Carries one device's awareness to another, as the sync's awareness messages do. */
function relay(from: Awareness, to: Awareness): void {
	applyAwarenessUpdate(to, encodeAwarenessUpdate(from, [from.clientID]), 'remote');
}

describe('who else is in the thread', () => {
	it('THREAD-PRESENCE-1: other colleagues by name, typing if any of their devices types; me and bad states left out', () => {
		const mine = new Awareness(new Y.Doc());
		mine.setLocalState({ user: { id: 'me', name: 'Zeynep' }, typing: false });
		const ayse = new Awareness(new Y.Doc());
		ayse.setLocalState({ user: { id: 'u-ayse', name: 'Ayşe Kaya' }, typing: true });
		const ayseDesk = new Awareness(new Y.Doc());
		ayseDesk.setLocalState({ user: { id: 'u-ayse', name: 'Ayşe Kaya' }, typing: false });
		const myTablet = new Awareness(new Y.Doc());
		myTablet.setLocalState({ user: { id: 'me', name: 'Zeynep' }, typing: true });
		const broken = new Awareness(new Y.Doc());
		broken.setLocalState({ user: { name: 42 } });
		const burak = new Awareness(new Y.Doc());
		burak.setLocalState({ user: { id: 'u-burak', name: 'Burak Öz' } });
		for (const other of [ayse, ayseDesk, myTablet, broken, burak]) relay(other, mine);

		expect(viewersOf(mine, 'me')).toEqual([
			{ userId: 'u-ayse', name: 'Ayşe Kaya', typing: true },
			{ userId: 'u-burak', name: 'Burak Öz', typing: false }
		]);

		// Leaving (a null state) takes the avatar away.
		ayse.setLocalState(null);
		ayseDesk.setLocalState(null);
		relay(ayse, mine);
		relay(ayseDesk, mine);
		expect(viewersOf(mine, 'me').map((v) => v.name)).toEqual(['Burak Öz']);
	});

	it('THREAD-PRESENCE-2: avatars show initials, Turkish letters upper-cased the Turkish way', () => {
		expect(initials('ipek şahin')).toBe('İŞ');
		expect(initials('Burak')).toBe('B');
		expect(initials('  ')).toBe('?');
	});
});
