import type {
	ChannelAccountRepository,
	InboundJournalRepository,
	InboundMessageRepository,
	MediaRepository,
	OutboxRepository
} from './channels.ts';
import type { CalendarRepository } from './calendar.ts';
import type { ClinicRepository } from './clinics.ts';
import type { DocRepository } from './docs.ts';
import type { InvitationRepository } from './invitations.ts';
import type { MetaRepository } from './meta.ts';
import type { ReminderRepository } from './reminders.ts';
import type { SessionRepository } from './sessions.ts';
import type { TicketRepository } from './tickets.ts';
import type { UserRepository } from './users.ts';

export type * from './calendar.ts';
export type * from './channels.ts';
export type * from './clinics.ts';
export type * from './docs.ts';
export type * from './invitations.ts';
export type * from './meta.ts';
export type * from './reminders.ts';
export type * from './sessions.ts';
export type * from './tickets.ts';
export type * from './users.ts';

/**
 * The storage contract: one small repository per table group, like Immich's repositories. SQLite (the embedded
 * default) implements it now; PostgreSQL implements the same interfaces and passes the same contract suite
 * (tests/contract/store.contract.ts). It stores opaque sealed blobs: encryption happens above it. Outbox, audit,
 * channel and calendar state join as further repositories.
 */
export interface Store {
	readonly meta: MetaRepository;
	readonly clinics: ClinicRepository;
	readonly users: UserRepository;
	readonly sessions: SessionRepository;
	readonly tickets: TicketRepository;
	readonly invitations: InvitationRepository;
	readonly docs: DocRepository;
	readonly channelAccounts: ChannelAccountRepository;
	readonly inboundMessages: InboundMessageRepository;
	readonly inboundJournal: InboundJournalRepository;
	readonly outbox: OutboxRepository;
	readonly media: MediaRepository;
	readonly reminders: ReminderRepository;
	readonly calendar: CalendarRepository;
	close(): Promise<void>;
}
