import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

/** Dependencies point one way: domain ← app and server; the browser never imports server code. */
const noServerInBrowser = {
	group: ['**/server/**', '$server/**'],
	// Types (the tRPC router's) are erased at build time; values would ship server code to the browser.
	allowTypeImports: true,
	message: 'Browser code must not import server/ values (it would ship server code, or fail to build).'
};
const domainStaysPure = [
	{
		group: ['$app/**', '$lib/ui/**', '$lib/local/**', '$lib/sync/**', '$lib/api/**', 'svelte', 'svelte/**', 'dexie'],
		message: 'src/lib/domain is pure: no app, UI, device or framework imports.'
	},
	{ group: ['**/server/**', '../**/routes/**'], message: 'src/lib/domain must not import server or route code.' }
];

export default ts.config(
	{ ignores: ['build/', '.svelte-kit/', 'dev-dist/', 'node_modules/', 'data/', 'test-results/'] },
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			'@typescript-eslint/no-explicit-any': 'error',
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig }
		}
	},
	{
		files: ['src/**'],
		rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noServerInBrowser] }] }
	},
	{
		files: ['src/lib/domain/**'],
		rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: domainStaysPure }] }
	}
);
