import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	bodyAt,
	createNote,
	listNotes,
	listVersions,
	noteBody,
	noteText,
	readNote,
	renameNote,
	restoreVersion,
	sameNotes,
	saveVersion,
	signNote,
	versionDue,
	VERSION_EVERY_MS
} from '../../src/lib/domain/notes.ts';
import { checkNoteWrite, NoteRuleError, type NoteWriter } from '../../src/lib/domain/noteWriteRules.ts';

const DR: NoteWriter = { userId: 'dr1', role: 'practitioner' };
const DR2: NoteWriter = { userId: 'dr2', role: 'practitioner' };
const DESK: NoteWriter = { userId: 'desk1', role: 'reception' };

/** A note body with one paragraph of text, as the editor writes it. */
function type(doc: Y.Doc, noteId: string, text: string): void {
	const paragraph = new Y.XmlElement('paragraph');
	paragraph.insert(0, [new Y.XmlText(text)]);
	noteBody(doc, noteId).push([paragraph]);
}

/**
 * The server's side: each device's change reaches a fresh server doc (only what the server has stored before)
 * and is checked as the Room checks it, in the transaction that applies it.
 */
class Server {
	readonly doc = new Y.Doc({ gc: false });
	constructor(readonly kind: 'note' | 'memo') {}

	/** Applies what `device` has and the server lacks; throws (and keeps nothing) if a rule refuses it. */
	receive(device: Y.Doc, writer: NoteWriter): void {
		const update = Y.encodeStateAsUpdate(device, Y.encodeStateVector(this.doc));
		const trial = new Y.Doc({ gc: false });
		Y.applyUpdate(trial, Y.encodeStateAsUpdate(this.doc));
		trial.transact((transaction) => {
			Y.applyUpdate(trial, update);
			checkNoteWrite(transaction, this.kind, writer);
		});
		Y.applyUpdate(this.doc, update);
	}

	/** What the server sends a device. */
	sendTo(device: Y.Doc): void {
		Y.applyUpdate(device, Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(device)));
	}
}

describe('NOTES-DOC-2: a patient’s notes, each a map entry and a rich-text body', () => {
	it('creates, lists newest first, renames, reads the text; refuses bad input and changes nothing', () => {
		const doc = new Y.Doc();
		const first = createNote(doc, { title: 'İlk muayene', authorId: 'dr1' }, new Date('2026-11-01T09:00:00Z'));
		const second = createNote(doc, { title: 'Kontrol', authorId: 'dr1' }, new Date('2026-11-20T09:00:00Z'));
		type(doc, first, 'Alt çene 36 implant.');
		type(doc, first, 'Penisilin alerjisi.');
		expect(listNotes(doc).map((n) => n.title)).toEqual(['Kontrol', 'İlk muayene']);
		expect(noteText(doc, first)).toBe('Alt çene 36 implant.\nPenisilin alerjisi.');
		renameNote(doc, second, 'Kontrol muayenesi');
		expect(readNote(doc, second)?.title).toBe('Kontrol muayenesi');
		const before = Y.encodeStateVector(doc);
		expect(() => createNote(doc, { title: 'x'.repeat(201), authorId: 'dr1' })).toThrow();
		expect(() => createNote(doc, { title: 'Ek', authorId: 'dr1', addendumOf: first })).toThrow(/signed note only/);
		expect(() => createNote(doc, { title: 'Ek', authorId: 'Not An Id' })).toThrow();
		expect(Y.encodeStateVector(doc)).toEqual(before);
	});
});

describe('NOTES-DOC-3: typing in a note leaves the list of notes as it was', () => {
	it('a body change lists the same notes; a rename or a signature does not', () => {
		const doc = new Y.Doc();
		const id = createNote(doc, { title: 'Kontrol', authorId: 'dr1' }, new Date('2026-11-20T09:00:00Z'));
		const before = listNotes(doc);
		type(doc, id, 'Ağrı azaldı.');
		expect(sameNotes(before, listNotes(doc))).toBe(true);
		renameNote(doc, id, 'Kontrol muayenesi');
		expect(sameNotes(before, listNotes(doc))).toBe(false);
		const renamed = listNotes(doc);
		signNote(doc, id, { userId: 'dr1', at: new Date('2026-11-20T10:00:00Z') });
		expect(sameNotes(renamed, listNotes(doc))).toBe(false);
	});
});

describe('NOTES-SIGN-1: a signed note is locked for everyone; later words are addenda', () => {
	it('a practitioner writes and signs; after that no body edit, rename, unsigning or removal gets through', () => {
		const server = new Server('note');
		const desk = new Y.Doc();
		const id = createNote(desk, { title: 'Muayene', authorId: DR.userId });
		type(desk, id, 'Bulgular normal.');
		server.receive(desk, DR);
		signNote(desk, id, { userId: DR.userId, at: new Date('2026-11-26T10:00:00Z') });
		server.receive(desk, DR);
		expect(readNote(server.doc, id)).toMatchObject({ signedBy: 'dr1', signedAt: '2026-11-26T10:00:00.000Z' });

		const edits: [string, (doc: Y.Doc) => void][] = [
			['body', (doc) => type(doc, id, 'Sonradan eklenen satır.')],
			['body deletion', (doc) => noteBody(doc, id).delete(0, 1)],
			['rename', (doc) => doc.getMap<Y.Map<unknown>>('notes').get(id)!.set('title', 'Başka')],
			['unsigning', (doc) => doc.getMap<Y.Map<unknown>>('notes').get(id)!.set('signedAt', null)],
			['removal', (doc) => doc.getMap('notes').delete(id)]
		];
		for (const [what, edit] of edits) {
			for (const writer of [DR, DR2, { userId: 'admin1', role: 'admin' } as NoteWriter]) {
				const device = new Y.Doc();
				server.sendTo(device);
				edit(device);
				expect(() => server.receive(device, writer), `${what} by ${writer.userId}`).toThrow(NoteRuleError);
			}
		}
		expect(noteText(server.doc, id)).toBe('Bulgular normal.');
		expect(readNote(server.doc, id)?.title).toBe('Muayene');

		// What comes later is an addendum: a note of its own naming the signed one.
		const device = new Y.Doc();
		server.sendTo(device);
		const addendum = createNote(device, { title: 'Ek: Muayene', authorId: DR2.userId, addendumOf: id });
		type(device, addendum, 'Kontrol röntgeni istendi.');
		server.receive(device, DR2);
		expect(readNote(server.doc, addendum)?.addendumOf).toBe(id);
	});

	it('signing is for practitioners and admins, on clinical notes, in their own name', () => {
		const clinical = new Server('note');
		const device = new Y.Doc();
		const id = createNote(device, { title: 'Muayene', authorId: DR.userId });
		clinical.receive(device, DR);
		signNote(device, id, { userId: DR2.userId, at: new Date() });
		expect(() => clinical.receive(device, DR), 'in another’s name').toThrow(/own name/);

		const memo = new Server('memo');
		const deskDoc = new Y.Doc();
		const memoId = createNote(deskDoc, { title: 'Ödeme planı', authorId: DESK.userId });
		type(deskDoc, memoId, 'Üç taksit.');
		memo.receive(deskDoc, DESK);
		signNote(deskDoc, memoId, { userId: DESK.userId, at: new Date() });
		expect(() => memo.receive(deskDoc, DESK)).toThrow(/only clinical notes/);

		// A note sent already signed by someone without the role is refused as well.
		const sneaky = new Y.Doc();
		const sneakyId = createNote(sneaky, { title: 'x', authorId: DESK.userId });
		signNote(sneaky, sneakyId, { userId: DESK.userId, at: new Date() });
		expect(() => new Server('note').receive(sneaky, DESK)).toThrow(/practitioners and admins/);
	});

	it('two people editing before the signature merge; an edit made offline and sent after it is refused, not half-kept', () => {
		const server = new Server('note');
		const desk = new Y.Doc();
		const tablet = new Y.Doc();
		const id = createNote(desk, { title: 'Muayene', authorId: DR.userId });
		server.receive(desk, DR);
		server.sendTo(tablet);
		type(desk, id, 'Masadan.');
		type(tablet, id, 'Tabletten.');
		server.receive(desk, DR);
		server.receive(tablet, DR2);
		server.sendTo(desk);
		expect(noteText(server.doc, id).split('\n').sort()).toEqual(['Masadan.', 'Tabletten.']);
		signNote(desk, id, { userId: DR.userId, at: new Date() });
		server.receive(desk, DR);
		type(tablet, id, 'İmzadan sonra, çevrimdışı.');
		expect(() => server.receive(tablet, DR2)).toThrow(/locked/);
		expect(noteText(server.doc, id)).not.toContain('İmzadan sonra');
	});
});

describe('NOTES-HISTORY-1: earlier versions can be viewed and restored as a new edit', () => {
	it('saves on demand and on a schedule, shows a version as it was, restores it on every device', () => {
		const desk = new Y.Doc({ gc: false });
		const tablet = new Y.Doc({ gc: false });
		const id = createNote(desk, { title: 'Muayene', authorId: DR.userId });
		expect(versionDue(desk, id, new Date())).toBe(false); // nothing written yet
		type(desk, id, 'İlk hali.');
		const t0 = new Date('2026-11-26T10:00:00Z');
		expect(versionDue(desk, id, t0)).toBe(true);
		const first = saveVersion(desk, id, { userId: DR.userId, at: t0 });
		expect(versionDue(desk, id, new Date(t0.getTime() + VERSION_EVERY_MS - 1))).toBe(false);
		expect(versionDue(desk, id, new Date(t0.getTime() + VERSION_EVERY_MS))).toBe(true);
		// Later the text is rewritten entirely (deleted and typed anew).
		noteBody(desk, id).delete(0, noteBody(desk, id).length);
		type(desk, id, 'Yeni hali.');
		saveVersion(desk, id, { userId: DR.userId, at: new Date('2026-11-26T11:00:00Z') });
		Y.applyUpdate(tablet, Y.encodeStateAsUpdate(desk));
		expect(listVersions(tablet, id).map((v) => v.at)).toEqual(['2026-11-26T11:00:00.000Z', '2026-11-26T10:00:00.000Z']);
		const [, older] = listVersions(tablet, id);
		expect(older.id).toBe(first);
		expect(bodyAt(tablet, older).toString()).toContain('İlk hali.');
		expect(noteText(tablet, id)).toBe('Yeni hali.');

		restoreVersion(tablet, older);
		expect(noteText(tablet, id)).toBe('İlk hali.');
		Y.applyUpdate(desk, Y.encodeStateAsUpdate(tablet, Y.encodeStateVector(desk)));
		expect(noteText(desk, id)).toBe('İlk hali.');
		// The restore is itself history: the version before it can be restored again.
		restoreVersion(desk, listVersions(desk, id)[0]);
		expect(noteText(desk, id)).toBe('Yeni hali.');
	});

	it('a signed note is not restored; a doc that garbage-collects cannot keep versions', () => {
		const doc = new Y.Doc({ gc: false });
		const id = createNote(doc, { title: 'Muayene', authorId: DR.userId });
		type(doc, id, 'Metin.');
		saveVersion(doc, id, { userId: DR.userId, at: new Date() });
		signNote(doc, id, { userId: DR.userId, at: new Date() });
		expect(() => restoreVersion(doc, listVersions(doc, id)[0])).toThrow(/locked/);
		const collected = new Y.Doc();
		const other = createNote(collected, { title: 'x', authorId: DR.userId });
		expect(() => saveVersion(collected, other, { userId: DR.userId, at: new Date() })).toThrow(/keeps its history/);
	});
});
