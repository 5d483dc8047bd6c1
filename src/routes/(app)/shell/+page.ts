// The app shell: prerendered at build time and precached by the service worker, which serves it for every app
// navigation. Without SSR the document holds no page, only the client entry, so SvelteKit's router renders
// whatever URL it is opened at (/schedule, /settings, …) instead of this route. It sits in the (app) group so the
// document preloads the signed-in app's layout and the modules every app page shares (DEVICE-PWA-2): they load
// while SvelteKit starts, instead of after it found the route.
export const prerender = true;
// Set here as well as in the root layout: with SSR on, the shell would hydrate as /shell at every URL.
export const ssr = false;
