import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { createContact, findContact, resolveContact } from '../../src/lib/domain/contacts.ts';
import { openThread, recordActivity, readThreadSummary } from '../../src/lib/domain/inbox.ts';
import { createNote, listNotes } from '../../src/lib/domain/notes.ts';
import { patientTimeline } from '../../src/lib/domain/patientTimeline.ts';
import {
	addTag,
	consentStatus,
	createPatient,
	mergePatients,
	readPatient,
	recordConsent,
	recordIds,
	removeTag,
	updatePatient
} from '../../src/lib/domain/patients.ts';
import { queryWords } from '../../src/lib/domain/textSearch.ts';
import { FrontdeskDatabase } from '../../src/lib/local/db.ts';
import { holdsServerPatients, PatientIndex, patientTags, queryPatients } from '../../src/lib/local/patientIndex.ts';
import { patientSearchMemory } from '../../src/lib/local/patientSearchMemory.ts';
import type { PatientRow } from '../../src/lib/local/patientTables.ts';
import { LatestQuery } from '../../src/lib/patients/latestQuery.ts';
import { timelineKey } from '../../src/lib/patients/timelineKey.ts';

/** Two devices' copies of one contacts doc, synced by hand (as the server would). */
function twoDevices(): [Y.Doc, Y.Doc, () => void] {
	const a = new Y.Doc();
	const b = new Y.Doc();
	const sync = () => {
		Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
		Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
	};
	return [a, b, sync];
}

const USER = 'user1';

describe('PATIENT-RECORD-1: a patient is a contact with a record; each field merges on its own', () => {
	it('creates with every field; an edit writes only what changed, so two devices editing different fields keep both', () => {
		const [a, b, sync] = twoDevices();
		const id = createPatient(a, {
			name: 'İpek Şahin',
			phones: ['0532 123 45 67'],
			emails: ['ipek@example.com'],
			dateOfBirth: '1988-03-14',
			language: 'tr',
			source: 'desk',
			tags: ['implant']
		});
		sync();
		expect(readPatient(b, id)).toMatchObject({
			name: 'İpek Şahin',
			phones: ['+905321234567'],
			dateOfBirth: '1988-03-14',
			language: 'tr',
			source: 'desk',
			tags: ['implant'],
			consents: []
		});
		// Offline on both: A fixes the birth date, B the name and the language.
		updatePatient(a, id, { dateOfBirth: '1988-04-14', name: 'İpek Şahin', language: 'tr' });
		updatePatient(b, id, { name: 'İpek Şahin Yılmaz', language: 'en' });
		sync();
		for (const doc of [a, b])
			expect(readPatient(doc, id)).toMatchObject({ name: 'İpek Şahin Yılmaz', dateOfBirth: '1988-04-14', language: 'en' });
		updatePatient(a, id, { source: null });
		expect(readPatient(a, id)?.source).toBeNull();
	});

	it('refuses bad input and changes nothing', () => {
		const doc = new Y.Doc();
		const id = createPatient(doc, { name: 'Ali Can' });
		const before = Y.encodeStateVector(doc);
		expect(() => updatePatient(doc, id, { dateOfBirth: '1988-02-30' })).toThrow();
		expect(() => updatePatient(doc, id, { dateOfBirth: '2999-01-01' })).toThrow();
		expect(() => updatePatient(doc, id, { language: 'xx' as never })).toThrow();
		expect(() => addTag(doc, id, ' '.repeat(3))).toThrow();
		expect(() => addTag(doc, id, 'x'.repeat(41))).toThrow();
		expect(() => createPatient(doc, { name: 'X', phones: ['12'] })).toThrow();
		expect(Y.encodeStateVector(doc)).toEqual(before);
	});

	it('tags: added once, removed, bounded', () => {
		const doc = new Y.Doc();
		const id = createPatient(doc, { name: 'Ali Can' });
		addTag(doc, id, 'ortodonti');
		addTag(doc, id, 'ortodonti');
		addTag(doc, id, 'VIP');
		removeTag(doc, id, 'ortodonti');
		expect(readPatient(doc, id)?.tags).toEqual(['VIP']);
		for (let i = 0; i < 19; i++) addTag(doc, id, `t${i}`);
		expect(() => addTag(doc, id, 'one too many')).toThrow(/too many tags/);
	});
});

describe('PATIENT-CONSENT-1: consents are a history of who recorded what, when and how', () => {
	it('keeps every change; the latest stands; changes made offline on two devices both land', () => {
		const [a, b, sync] = twoDevices();
		const id = createPatient(a, { name: 'Zeynep Kaya' });
		sync();
		recordConsent(a, id, { kind: 'reminders', given: true, at: '2026-11-20T09:00:00Z', how: 'desk', by: USER });
		recordConsent(a, id, { kind: 'marketing', given: true, at: '2026-11-20T09:01:00Z', how: 'paper', by: USER });
		recordConsent(b, id, { kind: 'marketing', given: false, at: '2026-11-25T14:00:00Z', how: 'whatsapp', by: null });
		sync();
		const patient = readPatient(a, id)!;
		expect(patient.consents.map((c) => [c.kind, c.given, c.how])).toEqual([
			['reminders', true, 'desk'],
			['marketing', true, 'paper'],
			['marketing', false, 'whatsapp']
		]);
		const status = consentStatus(patient);
		expect(status.reminders?.given).toBe(true);
		expect(status.marketing).toMatchObject({ given: false, how: 'whatsapp', by: null });
		expect(status.dataProcessing).toBeNull();
		expect(readPatient(b, id)?.consents).toEqual(patient.consents);
	});

	it('refuses an unknown kind or way and a time that is not one', () => {
		const doc = new Y.Doc();
		const id = createPatient(doc, { name: 'Zeynep Kaya' });
		expect(() =>
			recordConsent(doc, id, { kind: 'spam' as never, given: true, at: '2026-11-20T09:00:00Z', how: 'desk', by: USER })
		).toThrow();
		expect(() => recordConsent(doc, id, { kind: 'marketing', given: true, at: 'yesterday', how: 'desk', by: USER })).toThrow();
		expect(() =>
			recordConsent(doc, id, { kind: 'marketing', given: true, at: '2026-11-20T09:00:00Z', how: 'fax' as never, by: USER })
		).toThrow();
		expect(readPatient(doc, id)?.consents).toEqual([]);
	});
});

describe('PATIENT-MERGE-1: merging two patients loses nothing', () => {
	it('numbers, tags, consents, threads and the record fields follow; the merge shows in the timeline', () => {
		const contacts = new Y.Doc();
		const inbox = new Y.Doc();
		const created = new Date('2026-09-01T08:00:00Z');
		const keep = createPatient(contacts, { name: 'Ayşe Yılmaz', phones: ['05321112233'], tags: ['implant'] }, created);
		const gone = createContact(contacts, {
			name: '',
			phones: ['+90 544 999 88 77'],
			identities: [{ channel: 'instagram', id: '6452391124780' }]
		});
		updatePatient(contacts, gone, { dateOfBirth: '1979-06-01', language: 'de' });
		addTag(contacts, gone, 'yurt dışı');
		recordConsent(contacts, gone, { kind: 'reminders', given: true, at: '2026-10-01T10:00:00Z', how: 'instagram', by: null });
		const older = openThread(inbox, { contactId: keep, channel: 'whatsapp', at: '2026-11-01T09:00:00Z' });
		recordActivity(inbox, older, { at: '2026-11-01T09:00:00Z', preview: 'Merhaba', direction: 'in' });
		const dm = openThread(inbox, { contactId: gone, channel: 'instagram', at: '2026-11-10T09:00:00Z' });
		recordActivity(inbox, dm, { at: '2026-11-10T09:00:00Z', preview: 'Fiyat?', direction: 'in' });

		mergePatients(contacts, keep, gone, { at: new Date('2026-11-26T12:00:00Z'), userId: USER });
		const patient = readPatient(contacts, keep)!;
		expect(patient).toMatchObject({
			name: 'Ayşe Yılmaz',
			phones: ['+905321112233', '+905449998877'],
			identities: [{ channel: 'instagram', id: '6452391124780' }],
			dateOfBirth: '1979-06-01',
			language: 'de',
			tags: ['implant', 'yurt dışı']
		});
		expect(consentStatus(patient).reminders?.how).toBe('instagram');
		// The merged record stays, pointing at the kept one: its thread resolves to the kept patient.
		expect(readPatient(contacts, gone)?.mergedInto).toBe(keep);
		expect(resolveContact(contacts, readThreadSummary(inbox, dm)!.contactId)?.id).toBe(keep);
		expect(findContact(contacts, { phone: '0544 999 88 77' })?.id).toBe(keep);
		expect(recordIds(patient)).toEqual([keep, gone]);

		const threads = [older, dm].map((t) => readThreadSummary(inbox, t)!).filter((t) => recordIds(patient).includes(t.contactId));
		const timeline = patientTimeline(patient, threads);
		expect(timeline.map((i) => i.kind)).toEqual(['merge', 'thread', 'thread', 'consent', 'created']);
		expect(timeline[0]).toMatchObject({ merge: { goneId: gone, by: USER } });
	});

	it('a record merged into one that is merged again: the last one holds every record id', () => {
		const doc = new Y.Doc();
		const a = createPatient(doc, { name: 'A' });
		const b = createPatient(doc, { name: 'B' });
		const c = createPatient(doc, { name: 'C' });
		mergePatients(doc, b, a, { at: new Date('2026-11-01T00:00:00Z'), userId: USER });
		mergePatients(doc, c, b, { at: new Date('2026-11-02T00:00:00Z'), userId: USER });
		expect(recordIds(readPatient(doc, c)!)).toEqual([c, a, b]);
		expect(() => mergePatients(doc, c, c, { at: new Date(), userId: USER })).toThrow();
	});
});

let n = 0;

describe('PATIENT-SEARCH-1: the patient list searches the device table as people type', () => {
	it('finds names without Turkish letters, every phone spelling and tags; follows edits and merges', async () => {
		const db = new FrontdeskDatabase(`patients-${++n}`);
		const contacts = new Y.Doc();
		const ipek = createPatient(contacts, { name: 'İpek Şahin', phones: ['+90 532 123 45 67'], tags: ['implant'] });
		const sukru = createPatient(contacts, { name: 'Şükrü Işık', phones: ['05441112233'] });
		const burak = createPatient(contacts, { name: 'Burak Öz', emails: ['burak@example.com'], tags: ['ortodonti'] });
		const index = new PatientIndex(db, contacts);
		await index.start();
		const names = async (search: string, tag?: string) =>
			(await queryPatients(db, { search, ...(tag ? { tag } : {}) }, 50)).map((r) => r.patient.name);
		expect(await names('')).toEqual(['Burak Öz', 'İpek Şahin', 'Şükrü Işık']);
		expect(await names('ipek')).toEqual(['İpek Şahin']);
		expect(await names('IPEK')).toEqual(['İpek Şahin']);
		expect(await names('sukru isik')).toEqual(['Şükrü Işık']);
		expect(await names('ış')).toEqual(['Şükrü Işık']);
		for (const spelling of ['05321234567', '+90 532 123 45 67', '905321234567', '532 123 45', '0532 123'])
			expect(await names(spelling), spelling).toEqual(['İpek Şahin']);
		expect(await names('implant')).toEqual(['İpek Şahin']);
		expect(await names('', 'ortodonti')).toEqual(['Burak Öz']);
		expect(await patientTags(db)).toEqual(['implant', 'ortodonti']);
		expect(await names('nobody')).toEqual([]);

		updatePatient(contacts, ipek, { name: 'İpek Yıldız' });
		mergePatients(contacts, burak, sukru, { at: new Date(), userId: USER });
		await index.current();
		expect(await names('yildiz')).toEqual(['İpek Yıldız']);
		expect(await names('05441112233')).toEqual(['Burak Öz']);
		expect(await names('')).toEqual(['Burak Öz', 'İpek Yıldız']);
		index.stop();
	});
});

describe('PATIENT-SEARCH-2: a search answers in the list’s order and reads only the rows it shows', () => {
	it('orders every answer as the list’s index does, whether walked in name order or found by key; reads at most a page of rows', async () => {
		const db = new FrontdeskDatabase(`patients-${++n}`);
		const contacts = new Y.Doc();
		// `localeCompare` skips the \u0000 between the folded name and the id and would put "Ali Can" before "Ali".
		for (const name of ['Ali Can', 'Ali', 'Ali-Rıza Kaya', 'Alican Öztürk', 'Şule Ali'])
			createPatient(contacts, { name, phones: ['0532 555 00 11'] });
		// Enough patients that a search walks only the first of them and finds the rest by key: many named alike
		// first in the list (past a key pass's cap), a few later.
		contacts.transact(() => {
			for (let i = 0; i < 2600; i++) createPatient(contacts, { name: `Ahmet Yılmaz ${i}` });
			for (let i = 0; i < 30; i++) createPatient(contacts, { name: `Ahmet Kaya ${i}`, tags: ['implant'] });
			for (let i = 0; i < 260; i++) createPatient(contacts, { name: `Kaya ${String.fromCharCode(97 + (i % 26))}${i}` });
		});
		const index = new PatientIndex(db, contacts);
		await index.start();
		const list = await queryPatients(db, {}, 10_000);
		const keys = list.map((r) => r.sortKey);
		expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
		expect(list.slice(0, 2).map((r) => r.patient.name)).toEqual(['Ahmet Kaya 0', 'Ahmet Kaya 1']);
		expect(list.filter((r) => r.patient.name.startsWith('Ali')).map((r) => r.patient.name)).toEqual([
			'Ali',
			'Ali Can',
			'Ali-Rıza Kaya',
			'Alican Öztürk'
		]);

		const read = vi.spyOn(db.patientRows, 'bulkGet');
		const expected = (search: string, tag?: string): PatientRow[] =>
			list.filter((r) => (!tag || r.tags.includes(tag)) && queryWords(search).every((q) => r.words.some((w) => w.startsWith(q))));
		for (const [search, limit, tag] of [
			['a', 50],
			['ali', 50],
			['0532 555', 50],
			['kaya', 50],
			['k', 20],
			['kaya a', 50],
			['ahmet kaya', 50],
			['ahmet kaya 2', 5],
			['yilmaz 25', 50],
			['', 50, 'implant'],
			['kaya', 10, 'implant']
		] as const) {
			read.mockClear();
			const answer = await queryPatients(db, { search, ...(tag ? { tag } : {}) }, limit);
			const label = `${search} #${tag ?? ''}`;
			expect(answer.length, label).toBeGreaterThan(0);
			expect(
				answer.map((r) => r.id),
				label
			).toEqual(
				expected(search, tag)
					.slice(0, limit)
					.map((r) => r.id)
			);
			expect(
				read.mock.calls.reduce((sum, [ids]) => sum + ids.length, 0),
				label
			).toBeLessThanOrEqual(limit);
		}
		// A patient renamed is found by the new name only, in its new place.
		const ali = list.find((r) => r.patient.name === 'Ali')!.id;
		updatePatient(contacts, ali, { name: 'Zeki Ali' });
		await index.current();
		expect((await queryPatients(db, { search: 'zeki' }, 50)).map((r) => r.id)).toEqual([ali]);
		expect((await queryPatients(db, { search: 'ali' }, 50)).map((r) => r.patient.name).at(-1)).toBe('Zeki Ali');
		index.stop();
	}, 30_000);
});

describe('PATIENT-SEARCH-4: searches filter the entries held in memory, never stale ones', () => {
	it('answers as the table does without reading it; a change anywhere drops the entries until they are read again', async () => {
		const name = `patients-${++n}`;
		const db = new FrontdeskDatabase(name);
		const contacts = new Y.Doc();
		contacts.transact(() => {
			for (let i = 0; i < 400; i++)
				createPatient(contacts, {
					name: `${['Ahmet', 'Ayşe', 'Şükrü', 'İpek'][i % 4]} ${['Yılmaz', 'Kaya', 'Öztürk'][i % 3]} ${i}`,
					phones: [`0532 555 ${String(1000 + i).slice(0, 2)} ${String(1000 + i).slice(2)}`],
					...(i % 7 === 0 ? { tags: ['implant'] } : {})
				});
		});
		const index = new PatientIndex(db, contacts);
		await index.start();
		const queries: [string, number, string?][] = [
			['a', 50],
			['ayse kaya', 50],
			['sukru 1', 20],
			['0532 555 10', 50],
			['ipek', 5],
			['', 50, 'implant'],
			['ahmet', 50, 'implant'],
			['nobody', 50]
		];
		const answers = async () => {
			const all: string[][] = [];
			for (const [search, limit, tag] of queries)
				all.push((await queryPatients(db, { search, ...(tag ? { tag } : {}) }, limit)).map((r) => r.id));
			return all;
		};
		const fromTable = await answers();
		expect(fromTable.flat().length).toBeGreaterThan(100);

		const memory = patientSearchMemory(db);
		memory.warm();
		await memory.whenHeld();
		const walked = vi.spyOn(db.patientSearch, 'where');
		const limited = vi.spyOn(db.patientSearch, 'limit');
		expect(await answers()).toEqual(fromTable);
		expect(walked).not.toHaveBeenCalled();
		expect(limited).not.toHaveBeenCalled();

		// A rename on this device: the entries are dropped at once, the table answers meanwhile, then memory again.
		const first = (await queryPatients(db, { search: 'ipek' }, 1))[0].id;
		updatePatient(contacts, first, { name: 'Zeynep Ak' });
		await index.current();
		expect(memory.search(['zeynep'], null, 5)).toBeNull();
		expect((await queryPatients(db, { search: 'zeynep' }, 5)).map((r) => r.id)).toEqual([first]);
		await memory.whenHeld();
		expect(memory.search(['zeynep'], null, 5)).toEqual([first]);

		// Another connection to the same database (another tab) changes the table: dropped again.
		const other = new FrontdeskDatabase(name);
		const entry = (await other.patientSearch.where('id').equals(first).first())!;
		await other.patientSearch.put({ ...entry, words: [...entry.words, 'vip'] });
		expect(memory.search(['vip'], null, 5)).toBeNull();
		await memory.whenHeld();
		expect(memory.search(['vip'], null, 5)).toEqual([first]);
		other.close();
		index.stop();

		// Signing out deletes the database: the entries go with it, and nothing is read into memory again.
		await db.delete();
		expect(memory.destroyed).toBe(true);
		expect(memory.search(['vip'], null, 5)).toBeNull();
		memory.warm();
		expect(memory.search(['vip'], null, 5)).toBeNull();
	}, 30_000);
});

describe('PATIENT-SEARCH-3: typing on while a search runs: the latest search wins, none piles up', () => {
	it('a search asked for meanwhile is never run; the one under way is told to stop and its answer never shows', async () => {
		const started: string[] = [];
		const signals = new Map<string, AbortSignal>();
		const gates = new Map<string, () => void>();
		const waitingFor = new Map<string, () => void>();
		const answers: string[] = [];
		let answered: () => void = () => {};
		const latest = new LatestQuery<string, string>(
			(query, signal) => {
				started.push(query);
				signals.set(query, signal);
				waitingFor.get(query)?.();
				// As `queryPatients`: a read under way finishes, then the search stops if it was told to.
				return new Promise<void>((resolve) => gates.set(query, resolve)).then(() => {
					signal.throwIfAborted();
					return query;
				});
			},
			(_query, result) => {
				answers.push(result);
				answered();
			},
			() => {}
		);
		const startOf = (query: string) => new Promise<void>((resolve) => waitingFor.set(query, resolve));

		const first = startOf('s');
		latest.ask('s');
		await first;
		latest.ask('su');
		latest.ask('suk');
		expect(signals.get('s')?.aborted).toBe(true);
		const last = startOf('suk');
		gates.get('s')!();
		await last;
		expect(started).toEqual(['s', 'suk']);
		const shown = new Promise<void>((resolve) => (answered = resolve));
		gates.get('suk')!();
		await shown;
		expect(answers).toEqual(['suk']);

		// Not overtaken: asked after the last answer, it runs at once.
		const next = startOf('sukru');
		latest.ask('sukru');
		await next;
		expect(signals.get('suk')?.aborted).toBe(true);
		const again = new Promise<void>((resolve) => (answered = resolve));
		gates.get('sukru')!();
		await again;
		expect(answers).toEqual(['suk', 'sukru']);
		latest.destroy();
		expect(signals.get('sukru')?.aborted).toBe(true);
	});
});

describe('PATIENT-READY-1: a device still on its first sync says it is loading, never that there are no patients', () => {
	it('is ready only once the table holds what the first sync brought; later starts are ready at once, offline too', async () => {
		const server = new Y.Doc();
		createPatient(server, { name: 'İpek Şahin', phones: ['05321234567'] });
		const db = new FrontdeskDatabase(`patients-${++n}`);
		const device = new Y.Doc();
		const index = new PatientIndex(db, device);
		await index.start();
		let arrived: () => void = () => {};
		const firstSync = new Promise<void>((resolve) => (arrived = resolve));
		let ready = false;
		const synced = index.synced(firstSync).then(() => (ready = true));
		// The table is current with what the device has (nothing) — not a reason to say "no patients".
		await index.current();
		expect(await queryPatients(db, {}, 50)).toEqual([]);
		expect(ready).toBe(false);
		expect(await holdsServerPatients(db)).toBe(false);

		Y.applyUpdate(device, Y.encodeStateAsUpdate(server));
		arrived();
		await synced;
		expect((await queryPatients(db, {}, 50)).map((r) => r.patient.name)).toEqual(['İpek Şahin']);
		expect(await holdsServerPatients(db)).toBe(true);
		index.stop();

		// The next start, offline (the sync never comes): the device knows it holds the server's patients.
		const later = new PatientIndex(db, device);
		await later.start();
		await later.synced(new Promise<void>(() => {}));
		later.stop();
	});
});

describe('PATIENT-PAGE-4: the timeline is keyed by what each line is, not by its place', () => {
	it('every line has its own key, and a line added on top leaves the others’ keys as they were', () => {
		const contacts = new Y.Doc();
		const inbox = new Y.Doc();
		const notes = new Y.Doc();
		const clinical = new Y.Doc();
		const id = createPatient(contacts, { name: 'Ayşe Yılmaz' }, new Date('2026-01-01T08:00:00Z'));
		const gone = createPatient(contacts, { name: 'Ayşe Y.' }, new Date('2026-01-02T08:00:00Z'));
		mergePatients(contacts, id, gone, { at: new Date('2026-02-01T08:00:00Z'), userId: USER });
		recordConsent(contacts, id, { kind: 'marketing', given: true, at: '2026-02-02T10:00:00Z', how: 'desk', by: USER });
		recordConsent(contacts, id, { kind: 'marketing', given: false, at: '2026-02-03T10:00:00Z', how: 'desk', by: USER });
		const threadId = openThread(inbox, { contactId: id, channel: 'whatsapp', at: '2026-02-04T09:00:00Z' });
		recordActivity(inbox, threadId, { at: '2026-02-04T09:00:00Z', preview: 'Merhaba', direction: 'in' });
		createNote(notes, { title: 'İlk görüşme', authorId: USER }, new Date('2026-02-05T09:00:00Z'));
		createNote(clinical, { title: 'Muayene', authorId: USER }, new Date('2026-02-05T09:00:00Z'));
		const timelineOf = () =>
			patientTimeline(readPatient(contacts, id)!, [readThreadSummary(inbox, threadId)!], {
				clinical: listNotes(clinical),
				administrative: listNotes(notes)
			});
		const before = timelineOf().map(timelineKey);
		expect(new Set(before).size).toBe(before.length);
		expect(before).toHaveLength(7);

		recordConsent(contacts, id, { kind: 'reminders', given: true, at: '2026-03-01T10:00:00Z', how: 'phone', by: null });
		const after = timelineOf().map(timelineKey);
		expect(after).toHaveLength(8);
		expect(after.slice(1)).toEqual(before);
	});
});
