import { initTRPC, TRPCError } from '@trpc/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError, z } from 'zod';
import type {
	Accounts,
	Invitations,
	LoginLimiter,
	SessionContext,
	Sessions,
	StaffAdmin,
	SyncTickets,
	TicketLimiter
} from '../auth/index.ts';
import { AdminRefusal } from '../auth/index.ts';
import type { SyncServer } from '../sync/index.ts';
import type { Role } from '../../src/lib/domain/roles.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export interface ApiDeps {
	accounts: Accounts;
	sessions: Sessions;
	staff: StaffAdmin;
	invitations: Invitations;
	/** Reads docs for server-computed views (reports). */
	docs: Pick<SyncServer, 'read'>;
	tickets: SyncTickets;
	loginLimiter: LoginLimiter;
	ticketLimiter: TicketLimiter;
	logger: Logger;
	metrics: Metrics;
}

export interface ApiContext {
	deps: ApiDeps;
	req: IncomingMessage;
	res: ServerResponse;
	/** The client's address: the socket's peer, or `X-Forwarded-For` behind `TRUST_PROXY` proxies. */
	ip: string;
	/** Cookies get `Secure` everywhere but plain-HTTP localhost. */
	secureCookies: boolean;
	auth: SessionContext | null;
}

export const INTERNAL_ERROR_MESSAGE = 'internal error';

const t = initTRPC.context<ApiContext>().create({
	// Never send stack traces to clients, whatever NODE_ENV says.
	isDev: false,
	errorFormatter({ shape, error }) {
		return {
			...shape,
			// An internal error's text (an SQL constraint, a file path) is for the log, not for clients.
			message: error.code === 'INTERNAL_SERVER_ERROR' ? INTERNAL_ERROR_MESSAGE : shape.message,
			data: {
				...shape.data,
				// Validation errors say which field is wrong and why; the client shows them next to the field.
				validation: error.cause instanceof ZodError ? z.flattenError(error.cause) : null
			}
		};
	}
});

export const router = t.router;
export const publicProcedure = t.procedure;

export const authedProcedure = t.procedure.use(({ ctx, next }) => {
	if (!ctx.auth) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' });
	return next({ ctx: { ...ctx, auth: ctx.auth } });
});

/** Signed in with one of these roles; anyone else is refused before the procedure runs. */
export const roleProcedure = (...roles: Role[]) =>
	authedProcedure.use(({ ctx, next }) => {
		if (!roles.includes(ctx.auth.user.role)) throw new TRPCError({ code: 'FORBIDDEN', message: `for ${roles.join(', ')} only` });
		return next();
	});

export const adminProcedure = roleProcedure('admin');

/** Runs an administration call, turning its refusals into the matching API errors. */
export async function refusalsAsErrors<T>(call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (error) {
		if (error instanceof AdminRefusal) throw new TRPCError({ code: error.code, message: error.message });
		throw error;
	}
}
