// The app shell: prerendered at build time and precached by the service worker, which serves it for every app
// navigation. Without SSR the document holds no page, only the client entry, so SvelteKit's router renders
// whatever URL it is opened at (/schedule, /settings, …) instead of this route.
export const prerender = true;
// Set here as well as in the root layout: with SSR on, the shell would hydrate as /shell at every URL.
export const ssr = false;
