import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../../server/api/index.ts';

/** What each procedure returns, read from the router (types only): the device never restates a server type. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** A staff member as the server shows them (the server's `PublicUser`). */
export type PublicUser = RouterOutputs['auth']['login']['user'];
/** One of the account's sessions (a signed-in device), as the settings page lists them. */
export type AccountSession = RouterOutputs['auth']['sessions'][number];

/** The typed tRPC client of this app's server (same origin: the session cookie rides along). */
export const api = createTRPCClient<AppRouter>({ links: [httpLink({ url: '/trpc' })] });

/** The tRPC error code of a failed call, or `NETWORK` when the server was not reached at all. */
export function errorCode(error: unknown): string {
	if (error instanceof TRPCClientError) {
		const code = (error.data as { code?: string } | undefined)?.code;
		return code ?? 'NETWORK';
	}
	return 'NETWORK';
}
