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
/** The domain imports only itself and pure packages: `./` paths, no `$lib/` but `$lib/domain/`, never `../`. */
const domainStaysPure = [
	{
		group: ['$app/**', '$lib/*/**', '!$lib/domain/**', '$lib/*.*', 'svelte', 'svelte/**', 'dexie'],
		message: 'src/lib/domain is pure: no app, UI, device, session or framework imports.'
	},
	{
		// Relative paths out of the folder would reach sync/, api/, local/… past the `$lib/` patterns above.
		group: ['../**', './../**'],
		message: 'src/lib/domain imports only its own files (./…) and packages.'
	},
	{ group: ['**/server/**'], message: 'src/lib/domain must not import server code.' }
];
/** The server shares the domain with the device, nothing else: device code (Dexie, sockets, runes) stays in src/. */
const serverSharesOnlyTheDomain = [
	{
		// `src/lib/*/**`, not `src/**`: a pattern cannot re-allow a file whose folder it already excludes.
		group: [
			'**/src/lib/*/**',
			'!**/src/lib/domain/**',
			'**/src/routes/**',
			'**/src/*.*',
			'$lib/*/**',
			'!$lib/domain/**',
			'$app/**'
		],
		message: 'server/ may import from src/ only src/lib/domain.'
	}
];

export default ts.config(
	// tests/lint/fixtures break the rules on purpose; tests/unit/lint-boundaries.test.ts lints them as the files they name.
	{ ignores: ['build/', '.svelte-kit/', 'dev-dist/', 'node_modules/', 'data/', 'test-results/', 'tests/lint/fixtures/'] },
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
	},
	{
		files: ['server/**'],
		rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: serverSharesOnlyTheDomain }] }
	},
	{
		// Playwright's waitForFunction takes a returned Promise as truthy and returns at once: such a wait checks
		// nothing. Conditions that must await go through waitForPageState (tests/helpers/browser.ts).
		files: ['tests/**', 'bench/**'],
		rules: {
			'no-restricted-syntax': [
				'error',
				{
					selector: "CallExpression[callee.property.name='waitForFunction'] > ArrowFunctionExpression[async=true]",
					message: 'waitForFunction does not await a Promise: use waitForPageState.'
				},
				{
					selector:
						"CallExpression[callee.property.name='waitForFunction'] > ArrowFunctionExpression > NewExpression[callee.name='Promise']",
					message: 'waitForFunction does not await a Promise: use waitForPageState.'
				},
				{
					selector: "CallExpression[callee.property.name='waitForFunction'] > FunctionExpression[async=true]",
					message: 'waitForFunction does not await a Promise: use waitForPageState.'
				}
			]
		}
	}
);
