import { ZodError } from 'zod';
import { CatalogError } from '$lib/domain/catalog.ts';
import { SettingsError } from '$lib/domain/clinicSettings.ts';
import type { MessageKey } from '$lib/i18n/i18n.svelte.ts';

/**
 * What was wrong with a settings input, as a message key. The domain's rules report codes (`hours.overlap`); the
 * screens show the matching sentence, or a general one for a rule without its own.
 */
export type Problem = MessageKey;

const PROBLEMS: Record<string, Problem> = {
	'hours.format': 'clinic.problem.hoursFormat',
	'hours.order': 'clinic.problem.hoursOrder',
	'hours.overlap': 'clinic.problem.hoursOverlap',
	'hours.empty': 'clinic.problem.hoursEmpty',
	'clinic.name': 'clinic.problem.name',
	'clinic.timeZone': 'clinic.problem.timeZone',
	'clinic.language': 'clinic.problem.invalid',
	'clinic.date': 'clinic.problem.date',
	'clinic.label': 'clinic.problem.label',
	'clinic.noSuchDay': 'clinic.problem.missing',
	'catalog.name': 'clinic.problem.name',
	'catalog.missing': 'clinic.problem.missing',
	'catalog.duration': 'clinic.problem.duration',
	'catalog.buffer': 'clinic.problem.buffer'
};

/** The problem a refused write reports, or null when `error` is not a refusal of input (a bug: rethrow it). */
export function problemOf(error: unknown): Problem | null {
	if (error instanceof ZodError) return PROBLEMS[error.issues[0]?.message ?? ''] ?? 'clinic.problem.invalid';
	if (error instanceof SettingsError || error instanceof CatalogError) return PROBLEMS[error.message] ?? 'clinic.problem.invalid';
	return null;
}
