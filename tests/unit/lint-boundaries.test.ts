import { readdirSync, readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * Each fixture breaks (or, for the allowed ones, keeps) one import boundary of eslint.config.js. Its first line
 * names the file it stands for; ESLint lints its text as that file, so the rules of that folder apply.
 */
const FIXTURES = new URL('../lint/fixtures/', import.meta.url);
const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });
const RULE = '@typescript-eslint/no-restricted-imports';

async function lintFixture(file: string) {
	const text = readFileSync(new URL(file, FIXTURES), 'utf8');
	const filePath = /^\/\/ lint as: (\S+)/.exec(text)?.[1];
	if (!filePath) throw new Error(`${file} does not say which file it stands for`);
	const [result] = await eslint.lintText(text, { filePath });
	return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

const cases: [fixture: string, message: RegExp][] = [
	['domain-imports-sync-relatively.fixture', /src\/lib\/domain imports only its own files/],
	['domain-imports-api-relatively.fixture', /src\/lib\/domain imports only its own files/],
	['domain-imports-session.fixture', /src\/lib\/domain is pure/],
	['domain-imports-local.fixture', /src\/lib\/domain is pure/],
	['domain-imports-server.fixture', /must not import server code/],
	['server-imports-local.fixture', /server\/ may import from src\/ only src\/lib\/domain/],
	['browser-imports-server.fixture', /Browser code must not import server\/ values/]
];

describe('lint boundaries: each rule fires on its fixture', () => {
	it('every fixture is listed here', () => {
		const listed = [...cases.map(([f]) => f), 'allowed-imports.fixture', 'server-imports-domain.fixture'].sort();
		expect(readdirSync(FIXTURES).sort()).toEqual(listed);
	});

	it.each(cases)('%s', async (fixture, message) => {
		const messages = await lintFixture(fixture);
		expect(messages.some((m) => message.test(m))).toBe(true);
	});

	it.each(['allowed-imports.fixture', 'server-imports-domain.fixture'])('%s passes', async (fixture) => {
		expect(await lintFixture(fixture)).toEqual([]);
	});
});
