import type { ChannelKind } from '$lib/domain/contacts.ts';
import { withinServiceWindow } from '$lib/domain/thread.ts';

/**
 * What the composer may send in a thread (THREAD-COMPOSE-1): a free reply, only an approved template (WhatsApp
 * outside its 24-hour window), or only an internal comment (no reply channel, or Instagram's window closed).
 */
export type ComposerMode = 'reply' | 'templateOnly' | 'commentOnly';

export function composerMode(channel: ChannelKind, lastInboundAt: string | null, now: Date): ComposerMode {
	switch (channel) {
		case 'whatsapp':
			return withinServiceWindow(lastInboundAt, now) ? 'reply' : 'templateOnly';
		case 'instagram':
			// Instagram has the same 24-hour window and no templates: after it, nothing can be sent.
			return withinServiceWindow(lastInboundAt, now) ? 'reply' : 'commentOnly';
		case 'phone':
		case 'web':
			return 'commentOnly';
	}
}

/** The `@word` being typed just before the caret (THREAD-MENTION-1), or null when the caret is not in one. */
export function mentionAt(text: string, caret: number): { start: number; query: string } | null {
	const before = text.slice(0, caret);
	const match = /(^|\s)@([\p{L}\p{N}_.-]*)$/u.exec(before);
	if (!match) return null;
	return { start: caret - match[2].length - 1, query: match[2] };
}

/** Replaces the `@query` at `start` with `@Name ` and says where the caret goes. */
export function insertMention(text: string, start: number, caret: number, name: string): { text: string; caret: number } {
	const inserted = `@${name} `;
	return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}

/** The colleagues still mentioned by name in the final text (a mention deleted while editing is not noted). */
export function mentionedIn(text: string, picked: ReadonlyMap<string, string>): string[] {
	return [...picked].filter(([, name]) => text.includes(`@${name}`)).map(([id]) => id);
}

/** Whether text typed in the composer can be sent, and why not (THREAD-COMPOSE-2: never cut silently). */
export function textProblem(text: string, max: number): 'empty' | 'tooLong' | null {
	if (text.trim().length === 0) return 'empty';
	if (text.length > max) return 'tooLong';
	return null;
}
