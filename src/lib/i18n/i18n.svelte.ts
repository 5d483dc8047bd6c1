import enCore from './messages/en.json';
import enAdmin from './messages/en.admin.json';
import enClinic from './messages/en.clinic.json';
import enDevice from './messages/en.device.json';
import enInbox from './messages/en.inbox.json';
import enThread from './messages/en.thread.json';
import enChannels from './messages/en.channels.json';
import enAutomation from './messages/en.automation.json';
import enPatients from './messages/en.patients.json';
import enSchedule from './messages/en.schedule.json';
import enCalendar from './messages/en.calendar.json';
import trCore from './messages/tr.json';
import trAdmin from './messages/tr.admin.json';
import trClinic from './messages/tr.clinic.json';
import trDevice from './messages/tr.device.json';
import trInbox from './messages/tr.inbox.json';
import trThread from './messages/tr.thread.json';
import trChannels from './messages/tr.channels.json';
import trAutomation from './messages/tr.automation.json';
import trPatients from './messages/tr.patients.json';
import trSchedule from './messages/tr.schedule.json';
import trCalendar from './messages/tr.calendar.json';
import { formatDate } from './dateFormat.ts';

// One file per area of the app (core, staff administration, clinic settings, the device's sync and sign-out,
// the inbox's list, a thread, the channels' settings, the inbox's automation, patients, the appointment book,
// Google Calendar's settings), so each area's texts change without touching the others'. English defines the keys;
// Turkish has the same ones (tests/unit/i18n-catalogs.test.ts).
const en = {
	...enCore,
	...enAdmin,
	...enClinic,
	...enDevice,
	...enInbox,
	...enThread,
	...enChannels,
	...enAutomation,
	...enPatients,
	...enSchedule,
	...enCalendar
};
const tr = {
	...trCore,
	...trAdmin,
	...trClinic,
	...trDevice,
	...trInbox,
	...trThread,
	...trChannels,
	...trAutomation,
	...trPatients,
	...trSchedule,
	...trCalendar
};

export type MessageKey = keyof typeof en;
export const LOCALES = ['tr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const catalogs: Record<Locale, Record<MessageKey, string>> = { tr, en };
const STORAGE_KEY = 'frontdesk.locale';

/** The UI language: Turkish by default, the user's choice kept on the device. */
class I18n {
	locale = $state<Locale>('tr');

	/** The person chose a language on this device: the clinic's default no longer applies. */
	#chosen = false;

	constructor() {
		const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
		if (saved === 'tr' || saved === 'en') {
			this.locale = saved;
			this.#chosen = true;
		}
	}

	set(locale: Locale): void {
		this.#chosen = true;
		this.locale = locale;
		localStorage.setItem(STORAGE_KEY, locale);
		document.documentElement.lang = locale;
	}

	/** The clinic's default language (clinic settings), used until someone chooses one on this device. */
	useClinicDefault(locale: Locale): void {
		if (this.#chosen || this.locale === locale) return;
		this.locale = locale;
		document.documentElement.lang = locale;
	}

	/** The message in the current language, with `{name}` placeholders filled in. */
	t = (key: MessageKey, params: Record<string, string | number> = {}): string => {
		const text = catalogs[this.locale][key] ?? catalogs.en[key] ?? key;
		return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
	};

	/** Dates and times in the current language. */
	format(date: Date, options: Intl.DateTimeFormatOptions): string {
		return formatDate(this.locale === 'tr' ? 'tr-TR' : 'en-GB', date, options);
	}
}

export const i18n = new I18n();
export const t = i18n.t;
