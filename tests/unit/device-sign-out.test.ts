import { describe, expect, it } from 'vitest';
import type { UnsentDoc } from '../../src/lib/local/describeUnsent.ts';
import { IDLE, nextSignOut, type SignOutEvent, type SignOutState } from '../../src/lib/session/signOutFlow.ts';

const booked: UnsentDoc = {
	docName: 'c1/schedule/2026-11',
	kind: 'schedule',
	changes: 2,
	appointments: [{ id: 'a1', action: 'added', patientName: 'Zeynep Arslan', start: '2026-11-26T10:00' }]
};
const inbox: UnsentDoc = { docName: 'c1/inbox', kind: 'inbox', changes: 1, appointments: [] };

const run = (events: SignOutEvent[], from: SignOutState = IDLE) => events.reduce(nextSignOut, from);

describe('signing out with changes the server has not confirmed', () => {
	it('signs out at once when nothing is unsent', () => {
		expect(run([{ type: 'pressed', unsent: [] }])).toEqual({ step: 'signing-out', losing: false });
	});

	it('asks first, with everything unsent, when something is', () => {
		expect(run([{ type: 'pressed', unsent: [booked, inbox] }])).toEqual({ step: 'asking', unsent: [booked, inbox], left: 3 });
	});

	it('cancel changes nothing: no sign-out, and a later press asks again', () => {
		const cancelled = run([{ type: 'pressed', unsent: [booked] }, { type: 'cancel' }]);
		expect(cancelled).toEqual(IDLE);
		expect(run([{ type: 'pending', count: 0 }], cancelled)).toEqual(IDLE);
		expect(run([{ type: 'pressed', unsent: [booked] }], cancelled).step).toBe('asking');
	});

	it('waiting shows what is left and signs out by itself once the count reaches 0', () => {
		const waiting = run([{ type: 'pressed', unsent: [booked] }, { type: 'wait' }]);
		expect(waiting).toMatchObject({ step: 'waiting', left: 2, from: 2 });
		expect(run([{ type: 'pending', count: 1 }], waiting)).toMatchObject({ step: 'waiting', left: 1, from: 2 });
		expect(
			run(
				[
					{ type: 'pending', count: 1 },
					{ type: 'pending', count: 0 }
				],
				waiting
			)
		).toEqual({
			step: 'signing-out',
			losing: false
		});
	});

	it('waiting can be cancelled, and then the count reaching 0 signs nobody out', () => {
		const waiting = run([{ type: 'pressed', unsent: [booked] }, { type: 'wait' }]);
		expect(run([{ type: 'cancel' }, { type: 'pending', count: 0 }], waiting)).toEqual(IDLE);
	});

	it('"sign out anyway" signs out knowing changes are lost, from the question or while waiting', () => {
		expect(run([{ type: 'pressed', unsent: [booked] }, { type: 'anyway' }])).toEqual({ step: 'signing-out', losing: true });
		expect(run([{ type: 'pressed', unsent: [booked] }, { type: 'wait' }, { type: 'anyway' }])).toEqual({
			step: 'signing-out',
			losing: true
		});
	});

	it('while asking, the count follows the server; choosing to wait when all was sent meanwhile signs out', () => {
		const asking = run([
			{ type: 'pressed', unsent: [booked] },
			{ type: 'pending', count: 0 }
		]);
		expect(asking).toMatchObject({ step: 'asking', left: 0 });
		expect(run([{ type: 'wait' }], asking)).toEqual({ step: 'signing-out', losing: false });
		expect(run([{ type: 'anyway' }], asking)).toEqual({ step: 'signing-out', losing: false });
	});

	it('ignores what does not apply: a second press while asking, waiting when not asked', () => {
		const asking = run([{ type: 'pressed', unsent: [booked] }]);
		expect(run([{ type: 'pressed', unsent: [] }], asking)).toBe(asking);
		expect(run([{ type: 'wait' }])).toEqual(IDLE);
		expect(run([{ type: 'anyway' }])).toEqual(IDLE);
		const leaving = run([{ type: 'pressed', unsent: [] }]);
		expect(run([{ type: 'cancel' }], leaving)).toBe(leaving);
	});
});
