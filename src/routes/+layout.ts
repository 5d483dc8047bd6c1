// The app renders on the device: it must open from the service worker's shell with no server at all.
export const ssr = false;
export const prerender = false;
