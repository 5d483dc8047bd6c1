import * as Y from 'yjs';
import { z } from 'zod';
import { DEFAULT_BUSINESS_HOURS, dayHours, readWeek, type DayHours, type Weekday, type WeeklyHours } from './businessHours.ts';
import { docId } from './fields.ts';
import { newId } from './ids.ts';

/**
 * The clinic's settings in the `<clinic>/directory` doc, one top-level Y.Map per section so that edits merge
 * field by field: `clinic` (name, time zone, default language), `businessHours` (a value per weekday: two admins
 * changing different days both keep their change) and `closedDays` (holidays, each under its own id).
 * Error messages are codes (`clinic.*`, `hours.*`) that screens turn into text.
 */

export const CLINIC_LANGUAGES = ['tr', 'en'] as const;
export type ClinicLanguage = (typeof CLINIC_LANGUAGES)[number];
export const DEFAULT_TIME_ZONE = 'Europe/Istanbul';

let zones: Set<string> | null = null;
/** IANA time zones this runtime knows (`Intl.supportedValuesOf`), and UTC, which it lists under its own name. */
export function timeZones(): string[] {
	zones ??= new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);
	return [...zones];
}

export const timeZone = z.string().refine((v) => (timeZones(), zones!.has(v)), 'clinic.timeZone');
export const clinicName = z.string().trim().min(1, 'clinic.name').max(120, 'clinic.name');
export const clinicLanguage = z.enum(CLINIC_LANGUAGES, 'clinic.language');

const CALENDAR_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A calendar day `YYYY-MM-DD` that exists. */
export const calendarDay = z.string().refine((v) => {
	const m = CALENDAR_DAY.exec(v);
	if (!m) return false;
	const [, y, mo, d] = m.map(Number);
	const date = new Date(Date.UTC(y, mo - 1, d));
	return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}, 'clinic.date');

export const closedDayInput = z.object({
	date: calendarDay,
	label: z.string().trim().min(1, 'clinic.label').max(120, 'clinic.label')
});
export type ClosedDayInput = z.input<typeof closedDayInput>;
export interface ClosedDay extends z.output<typeof closedDayInput> {
	id: string;
}

export const clinicProfileChange = z.object({ name: clinicName, timeZone, language: clinicLanguage }).partial();
export type ClinicProfileChange = z.input<typeof clinicProfileChange>;

/** A refused settings write; the message is a code like the zod issues' (`clinic.noSuchDay`). */
export class SettingsError extends Error {
	override name = 'SettingsError';
}

export interface ClinicProfile {
	/** Empty until an admin names the clinic in the app (the server knows it by the name it was created with). */
	name: string;
	timeZone: string;
	language: ClinicLanguage;
}

const profileMap = (doc: Y.Doc) => doc.getMap<unknown>('clinic');
const hoursMap = (doc: Y.Doc) => doc.getMap<unknown>('businessHours');
const closedMap = (doc: Y.Doc) => doc.getMap<unknown>('closedDays');

/** The clinic's name, time zone and language; each bad or missing field falls back on its own (DOC-READ-1). */
export function clinicProfile(doc: Y.Doc): ClinicProfile {
	const map = profileMap(doc);
	return {
		name: clinicName.catch('').parse(map.get('name')),
		timeZone: timeZone.catch(DEFAULT_TIME_ZONE).parse(map.get('timeZone')),
		language: clinicLanguage.catch('tr').parse(map.get('language'))
	};
}

/** Changes some of name, time zone, language; only fields that differ are written. */
export function changeClinicProfile(doc: Y.Doc, change: ClinicProfileChange): void {
	const fields = clinicProfileChange.parse(change);
	const map = profileMap(doc);
	doc.transact(() => {
		for (const [k, v] of Object.entries(fields)) if (v !== undefined && map.get(k) !== v) map.set(k, v);
	});
}

/** The clinic's week: each day as set, or the default where unset or invalid. */
export function businessHours(doc: Y.Doc): WeeklyHours {
	const map = hoursMap(doc);
	return readWeek((day) => map.get(day), DEFAULT_BUSINESS_HOURS);
}

export function setBusinessHours(doc: Y.Doc, day: Weekday, hours: DayHours): void {
	const parsed = dayHours.parse(hours);
	doc.transact(() => hoursMap(doc).set(day, parsed));
}

/** Holidays by date; an entry with a bad date or label is skipped. */
export function listClosedDays(doc: Y.Doc): ClosedDay[] {
	const list: ClosedDay[] = [];
	for (const [id, value] of closedMap(doc)) {
		const parsed = docId.safeParse(id).success ? closedDayInput.safeParse(value) : null;
		if (parsed?.success) list.push({ id, ...parsed.data });
	}
	return list.sort((a, b) => a.date.localeCompare(b.date) || (a.id < b.id ? -1 : 1));
}

export function addClosedDay(doc: Y.Doc, input: ClosedDayInput): ClosedDay {
	const day = { id: newId(), ...closedDayInput.parse(input) };
	doc.transact(() => closedMap(doc).set(day.id, { date: day.date, label: day.label }));
	return day;
}

export function removeClosedDay(doc: Y.Doc, id: string): void {
	if (!closedMap(doc).has(id)) throw new SettingsError('clinic.noSuchDay');
	doc.transact(() => closedMap(doc).delete(id));
}

/** The holiday on `day` (`YYYY-MM-DD`), if the clinic is closed that day. */
export function closedDayOn(doc: Y.Doc, day: string): ClosedDay | undefined {
	return listClosedDays(doc).find((d) => d.date === day);
}
