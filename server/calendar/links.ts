import { z } from 'zod';
import { open, seal, type Keyring } from '../crypto/index.ts';
import type { CalendarLinkRow } from '../store/index.ts';

/** What connects a practitioner's calendar (the OAuth answer, or the admin CLI's options). */
export const linkInput = z.object({
	clinicId: z.string().min(1).max(64),
	practitionerId: z.string().min(1).max(64),
	userId: z.string().min(1).max(64),
	// Google's calendar ids: `primary`, an address, or `…@group.calendar.google.com`.
	calendarId: z.string().trim().min(1).max(256),
	/** Google's name of the calendar when known (the pick lists it); the server's listings fill it in otherwise. */
	calendarName: z.string().nullish(),
	refreshToken: z.string().min(1).max(2048)
});
export type LinkInput = z.input<typeof linkInput>;

/** The longest calendar name kept (Google sets no bound; the settings screen shows it on one line). */
const MAX_NAME_CHARS = 256;

/** A calendar's name as Google gives it (`summary`), trimmed and bounded; null when it has none. */
export function calendarNameOf(summary: string | null | undefined): string | null {
	const name = Array.from(summary?.trim() ?? '')
		.slice(0, MAX_NAME_CHARS)
		.join('');
	return name === '' ? null : name;
}

const tokenAad = (clinicId: string, practitionerId: string) => `calendar-refresh-token:${clinicId}:${practitionerId}`;

/**
 * A new link row: the refresh token sealed with the clinic's data key, nothing synced yet. Its `createdAt` names this
 * connection: later than the one it replaces (`replacing`), so what a sync of the old calendar still writes is told
 * apart and dropped (`CalendarRepository.update`).
 */
export async function newLinkRow(
	keyring: Keyring,
	input: LinkInput,
	now: number,
	replacing: Pick<CalendarLinkRow, 'createdAt'> | null
): Promise<CalendarLinkRow> {
	const i = linkInput.parse(input);
	const key = await keyring.dataKey(i.clinicId);
	return {
		clinicId: i.clinicId,
		practitionerId: i.practitionerId,
		userId: i.userId,
		calendarId: i.calendarId,
		calendarName: calendarNameOf(i.calendarName),
		sealedRefreshToken: seal(key, Buffer.from(i.refreshToken, 'utf8'), tokenAad(i.clinicId, i.practitionerId)),
		syncToken: null,
		channel: null,
		retryAt: 0,
		failures: 0,
		lastError: null,
		createdAt: replacing ? Math.max(now, replacing.createdAt + 1) : now
	};
}

export async function openRefreshToken(keyring: Keyring, link: CalendarLinkRow): Promise<string> {
	const key = await keyring.dataKey(link.clinicId);
	return open(key, link.sealedRefreshToken, tokenAad(link.clinicId, link.practitionerId)).toString('utf8');
}
