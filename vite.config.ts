import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vite';
import { serverPathPatterns } from './src/lib/domain/serverPaths.ts';

/** The prerendered, client-only page the service worker answers every app navigation with (src/routes/shell). */
const SHELL_URL = '/shell';

export default defineConfig({
	plugins: [
		tailwindcss(),
		sveltekit(),
		SvelteKitPWA({
			registerType: 'prompt',
			// UpdatePrompt.svelte registers the worker through useRegisterSW: no injected script.
			injectRegister: false,
			manifest: {
				id: '/',
				name: 'Frontdesk',
				short_name: 'Frontdesk',
				description: 'The clinic front desk: inbox, patients, schedule and shared notes, working offline too.',
				display: 'standalone',
				start_url: '/',
				scope: '/',
				theme_color: '#0f766e',
				background_color: '#f8fafc',
				icons: [
					{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
					{ src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
					{ src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' }
				]
			},
			workbox: {
				// The plugin's defaults plus web fonts, so self-hosted fonts work offline too.
				globPatterns: ['client/**/*.{js,css,ico,png,svg,webp,woff,woff2,webmanifest}', 'prerendered/**/*.{html,json}'],
				// With SSR off every page is the same client-rendered document, so one precached shell serves any app
				// URL, online or not; SvelteKit's router then renders the route in the address bar.
				navigateFallback: SHELL_URL,
				// Server addresses opened as documents (Google's consent answer, a media file) must reach the server.
				navigateFallbackDenylist: serverPathPatterns(),
				cleanupOutdatedCaches: true
			}
		})
	]
});
