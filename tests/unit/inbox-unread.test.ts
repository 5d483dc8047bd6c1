import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { markThreadRead, noteMentions, openThread, readThreadSummary, recordActivity } from '../../src/lib/domain/inbox.ts';
import { UnreadTally } from '../../src/lib/inbox/unreadTally.ts';

describe('the unread tally behind the title and the alerts', () => {
	it('counts unread over threads, says what is news, and forgets merged threads', () => {
		const doc = new Y.Doc();
		const tally = new UnreadTally('u1');
		const t1 = openThread(doc, { contactId: 'c1', channel: 'whatsapp', at: '2026-11-26T09:00:00Z' });
		const t2 = openThread(doc, { contactId: 'c2', channel: 'web', at: '2026-11-26T09:00:00Z' });
		const see = (id: string) => tally.update(id, readThreadSummary(doc, id));
		expect(see(t1)).toBeNull();
		recordActivity(doc, t1, { at: '2026-11-26T09:01:00Z', preview: 'a', direction: 'in' });
		expect(see(t1)).toBe('message');
		recordActivity(doc, t2, { at: '2026-11-26T09:02:00Z', preview: 'b', direction: 'in' });
		recordActivity(doc, t2, { at: '2026-11-26T09:03:00Z', preview: 'c', direction: 'in' });
		expect(see(t2)).toBe('message');
		expect(tally.total).toBe(3);
		// Our own reply is not news.
		recordActivity(doc, t2, { at: '2026-11-26T09:04:00Z', preview: 'reply', direction: 'out' });
		expect(see(t2)).toBeNull();
		markThreadRead(doc, t2, 'u1');
		expect(see(t2)).toBeNull();
		expect(tally.total).toBe(1);
		noteMentions(doc, t2, ['u1']);
		expect(see(t2)).toBe('mention');
		expect(see(t2)).toBeNull();
		expect(tally.update(t1, null)).toBeNull();
		expect(tally.total).toBe(0);
	});
});
