import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { docNames } from '../../src/lib/domain/docName.ts';
import { createPatient, PATIENT_SOURCES, type PatientInput } from '../../src/lib/domain/patients.ts';
import { foldText } from '../../src/lib/domain/textSearch.ts';
import { connectProvider, whenDoc, whenSynced } from '../../tests/helpers/client.ts';

/**
 * A clinic's patients for the browser benches: Turkish names (ı, İ, ş, ğ, ç, ö, ü), a mobile number each, some
 * emails and tags, all fixed by the patient's index so every run seeds the same clinic.
 */
const FIRST = [
	...'Şükrü İsmail Ayşe Gülşen Çağla Ömer Işıl Ilgın Ülkü Doğan Büşra Oğuz Gökçe Ebru Mehmet Zeynep Hülya Tuğçe'.split(' '),
	...'Şeyma Barış Çiğdem Yiğit İpek Ahmet Fatma Emre Selin Burak Elif Can Deniz Kübra Gül Serkan Nihal Özge'.split(' ')
];
const LAST = [
	...'Yılmaz Kaya Demir Şahin Çelik Öztürk Arslan Doğan Aydın Koç Kurt Özdemir Kılıç Aslan Çetin Erdoğan'.split(' '),
	...'Yıldız Güneş Akgül Işık Üstün Kalaycıoğlu Ağaoğlu Gündoğdu Bozkurt Şimşek Türkmen Ünal Karaca Polat Özkan Tekin'.split(' ')
];
/** Mobile operators' prefixes: `0532 1` finds about one patient in 80. */
const OPERATORS = '532 533 542 505 555 541 544 506'.split(' ');
/** Tags a dental clinic uses; about one patient in three has one or two. */
export const TAGS = [...'implant ortodonti kontrol diyabet VIP çocuk beyazlatma protez alerji'.split(' '), 'kanal tedavisi'];

/** A number in [0, 1) fixed by `i` and `salt` (murmur3's finalizer). */
export function unit(i: number, salt: number): number {
	let h = Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b);
	h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
	h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
	return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

const pick = <T>(list: readonly T[], i: number, salt: number): T => list[Math.floor(unit(i, salt) * list.length)];

/** The i-th patient of the bench clinic. Numbers are distinct for the first ten million. */
export function benchPatient(i: number): PatientInput {
	const first = pick(FIRST, i, 1);
	const last = pick(LAST, i, 2);
	const subscriber = String((i * 7919 + 1_234_567) % 10_000_000).padStart(7, '0');
	const tags = new Set<string>();
	if (unit(i, 3) < 0.33) tags.add(pick(TAGS, i, 4));
	if (unit(i, 5) < 0.1) tags.add(pick(TAGS, i, 6));
	const year = 1940 + Math.floor(unit(i, 7) * 75);
	const month = String(1 + Math.floor(unit(i, 8) * 12)).padStart(2, '0');
	const day = String(1 + Math.floor(unit(i, 9) * 28)).padStart(2, '0');
	return {
		name: `${first} ${last}`,
		phones: [`+90${pick(OPERATORS, i, 10)}${subscriber}`],
		...(unit(i, 11) < 0.2 ? { emails: [`${foldText(first)}.${foldText(last)}${i}@example.com`] } : {}),
		dateOfBirth: `${year}-${month}-${day}`,
		language: unit(i, 12) < 0.9 ? 'tr' : 'en',
		source: pick(PATIENT_SOURCES, i, 13),
		tags: [...tags]
	};
}

/** A synced provider of one doc, writing as the signed-in staff member whose cookie it carries. */
export async function openDoc(server: { wsUrl: string; url: string }, cookie: string, name: string): Promise<WebsocketProvider> {
	const provider = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
	await whenSynced(provider);
	return provider;
}

/**
 * Writes patients `from`…`from + count - 1` into the clinic's contacts doc on the server, 500 to a transaction, each
 * created a day apart before now, and resolves once a second connection reads them all there. Returns their ids.
 */
export async function seedPatients(
	server: { wsUrl: string; url: string },
	cookie: string,
	clinicId: string,
	count: number,
	from = 0
): Promise<string[]> {
	const name = docNames.contacts(clinicId);
	const writer = await openDoc(server, cookie, name);
	const ids: string[] = [];
	const now = Date.now();
	const BATCH = 500;
	for (let start = from; start < from + count; start += BATCH) {
		writer.doc.transact(() => {
			for (let i = start; i < Math.min(from + count, start + BATCH); i++)
				ids.push(createPatient(writer.doc, benchPatient(i), new Date(now - (from + count - i) * 3_600_000)));
		});
	}
	await untilServerHas(server, cookie, name, (doc) => doc.getMap('contacts').size >= from + count);
	writer.destroy();
	return ids;
}

/** Resolves once a fresh connection to the server reads `done` true of the doc: what was written is stored. */
export async function untilServerHas(
	server: { wsUrl: string; url: string },
	cookie: string,
	name: string,
	done: (doc: Y.Doc) => boolean
): Promise<void> {
	const reader = connectProvider(server.wsUrl, name, { cookie, origin: server.url });
	await whenDoc(reader.doc, done);
	reader.destroy();
}
