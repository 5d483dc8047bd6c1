import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../../../server/api/index.ts';

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
