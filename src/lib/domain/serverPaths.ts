/**
 * The first segments of the addresses the server answers itself, not the app: the API, the sync sockets, health and
 * metrics, the providers' webhooks, website forms, stored media and Google's consent answer. A browser may open some
 * of them as a document (Google sends it back to `/calendar/oauth/callback`, staff open a file at `/media/…`): the
 * service worker must let those through to the server instead of answering with the app's shell (DEVICE-PWA-3).
 */
export const SERVER_PATH_ROOTS = ['trpc', 'sync', 'healthz', 'metrics', 'webhooks', 'forms', 'media', 'calendar'] as const;

/** Whether the server, not the app, answers this path. */
export const isServerPath = (path: string): boolean =>
	SERVER_PATH_ROOTS.some((root) => path === `/${root}` || path.startsWith(`/${root}/`));

/** The same, as the service worker's list of navigations it must not answer with the shell. */
export const serverPathPatterns = (): RegExp[] => SERVER_PATH_ROOTS.map((root) => new RegExp(`^/${root}(?:/|$)`));
