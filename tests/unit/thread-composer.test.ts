import { describe, expect, it } from 'vitest';
import { composerMode, insertMention, mentionAt, mentionedIn, textProblem } from '../../src/lib/inbox/thread/composer.ts';
import { duration, entryBody } from '../../src/lib/inbox/thread/entry-display.ts';
import type { ThreadEntry } from '../../src/lib/domain/thread.ts';

const now = new Date('2026-03-10T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000).toISOString();

describe('the composer says what can be sent before anyone types', () => {
	it('THREAD-COMPOSE-1: WhatsApp free within 24 h of the last inbound, templates only after; Instagram comment only after; phone and web comment only', () => {
		expect(composerMode('whatsapp', hoursAgo(23), now)).toBe('reply');
		expect(composerMode('whatsapp', hoursAgo(25), now)).toBe('templateOnly');
		expect(composerMode('whatsapp', null, now)).toBe('templateOnly');
		expect(composerMode('instagram', hoursAgo(1), now)).toBe('reply');
		expect(composerMode('instagram', hoursAgo(30), now)).toBe('commentOnly');
		expect(composerMode('phone', hoursAgo(1), now)).toBe('commentOnly');
		expect(composerMode('web', hoursAgo(1), now)).toBe('commentOnly');
	});

	it('THREAD-COMPOSE-2: an over-long text is reported, never cut', () => {
		expect(textProblem('  ', 10)).toBe('empty');
		expect(textProblem('x'.repeat(11), 10)).toBe('tooLong');
		expect(textProblem('x'.repeat(10), 10)).toBeNull();
	});

	it('THREAD-MENTION-1: @ starts a mention at a word start; the picked name replaces the query; a deleted mention is not noted', () => {
		expect(mentionAt('Hi @Ay', 6)).toEqual({ start: 3, query: 'Ay' });
		expect(mentionAt('mail@x', 6)).toBeNull();
		expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
		const next = insertMention('Hi @Ay please', 3, 6, 'Ayşe Kaya');
		expect(next).toEqual({ text: 'Hi @Ayşe Kaya  please', caret: 14 });
		const picked = new Map([
			['u1', 'Ayşe Kaya'],
			['u2', 'Mehmet']
		]);
		expect(mentionedIn('@Ayşe Kaya look', picked)).toEqual(['u1']);
	});
});

const entry = (over: Partial<ThreadEntry>): ThreadEntry => ({
	id: 'e',
	kind: 'message',
	at: now.toISOString(),
	direction: 'in',
	channel: 'whatsapp',
	text: '',
	authorId: null,
	status: 'received',
	error: null,
	providerMessageId: null,
	messageType: 'text',
	media: null,
	details: {},
	mentions: [],
	attempt: 1,
	callbackDone: false,
	...over
});

describe('every entry kind reads as something a person understands', () => {
	it('THREAD-ENTRY-1: locations, shared contacts, reactions, buttons, templates, unsupported types, calls and forms', () => {
		expect(
			entryBody(entry({ messageType: 'location', details: { location: { latitude: 41, longitude: 29, name: 'Klinik' } } }))
		).toMatchObject({
			kind: 'location',
			latitude: 41,
			name: 'Klinik'
		});
		expect(entryBody(entry({ messageType: 'contacts', details: { contacts: [{ name: 'Ali', phones: ['+90532'] }] } }))).toEqual({
			kind: 'contacts',
			people: [{ name: 'Ali', phones: ['+90532'] }]
		});
		expect(entryBody(entry({ messageType: 'reaction', details: { reaction: { emoji: '👍' } } }))).toEqual({
			kind: 'reaction',
			emoji: '👍'
		});
		expect(entryBody(entry({ messageType: 'button', text: 'Evet' }))).toEqual({ kind: 'button', title: 'Evet' });
		expect(entryBody(entry({ messageType: 'unsupported:poll' }))).toEqual({ kind: 'unsupported', type: 'poll' });
		expect(
			entryBody(entry({ kind: 'call', messageType: 'call', details: { call: { outcome: 'missed', durationSeconds: 0 } } }))
		).toMatchObject({
			kind: 'call',
			outcome: 'missed'
		});
		expect(entryBody(entry({ kind: 'form', messageType: 'form', details: { fields: { Ad: 'Ali' } } }))).toEqual({
			kind: 'form',
			fields: [['Ad', 'Ali']]
		});
		expect(entryBody(entry({ messageType: 'image' }))).toEqual({ kind: 'media', media: 'image' });
		expect(duration(75)).toBe('1:15');
		expect(duration(3725)).toBe('1:02:05');
	});
});
