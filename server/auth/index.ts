export { Accounts, AccountError, publicUser, type PublicUser } from './accounts.ts';
export { Sessions, SESSION_COOKIE, SESSION_TTL_MS, SESSION_IDLE_MS, type SessionContext, type DeviceInfo } from './sessions.ts';
export { SyncTickets, TICKET_TTL_MS } from './tickets.ts';
export { LoginLimiter, type LoginAttempt, type LoginLimit } from './loginLimiter.ts';
export { TicketLimiter } from './ticketLimiter.ts';
export { MIN_PASSWORD_LENGTH, newPassword } from './passwords.ts';
export {
	AdminRefusal,
	Invitations,
	StaffAdmin,
	LAST_ADMIN_MESSAGE,
	deviceSession,
	type DeviceSession,
	type Invitation,
	type StaffMember
} from './staff.ts';
export { generateId } from './tokens.ts';
export { sessionCookie, blankSessionCookie, readCookie } from './cookies.ts';
export { isAllowedOrigin } from './origin.ts';
export { refuseDoc, type DocRefusal } from './docAccess.ts';
