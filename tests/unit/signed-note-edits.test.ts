import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createNote, listNotes, noteBody, noteText, readNote, signNote } from '../../src/lib/domain/notes.ts';
import { checkNoteWrite, MAX_RESCUED_RANGES, NoteRuleError, type NoteWriter } from '../../src/lib/domain/noteWriteRules.ts';
import { splitUpdate } from '../../src/lib/sync/splitUpdate.ts';
import {
	hasSignedNoteEdits,
	rescueSignedNoteEdits,
	signedBodyAsOnServer,
	signedNoteAsOnServer,
	updateForServer,
	withSignedTitles,
	type DeleteSetOf
} from '../../src/lib/domain/signedNoteEdits.ts';

const DR: NoteWriter = { userId: 'dr1', role: 'practitioner' };
const TABLET: NoteWriter = { userId: 'dr2', role: 'practitioner' };
const author = { userId: TABLET.userId, titleOf: (n: { title: string }) => `Written offline: ${n.title}`, now: new Date() };

/** Note docs keep their history, on the server and on devices. */
const noteDoc = () => new Y.Doc({ gc: false });

function type(doc: Y.Doc, noteId: string, text: string): void {
	const paragraph = new Y.XmlElement('paragraph');
	paragraph.insert(0, [new Y.XmlText(text)]);
	noteBody(doc, noteId).push([paragraph]);
}

/** The first paragraph's text of a note's body (the Y.XmlText inside it). */
function firstText(doc: Y.Doc, noteId: string): Y.XmlText {
	return (noteBody(doc, noteId).get(0) as Y.XmlElement).get(0) as Y.XmlText;
}

/** What the server does with a socket's update: applies it in the writer's transaction and checks the lock. */
function serverTakes(server: Y.Doc, update: Uint8Array, writer: NoteWriter): void {
	server.transact((transaction) => {
		Y.applyUpdate(server, update);
		checkNoteWrite(transaction, 'note', writer);
	});
}

/** The server's answer to the tablet's step 1: what the tablet lacks, and the server's whole delete set with it. */
function serverAnswer(server: Y.Doc, tablet: Y.Doc): { state: Map<number, number>; deletions: DeleteSetOf } {
	const diff = Y.encodeStateAsUpdate(server, Y.encodeStateVector(tablet));
	Y.applyUpdate(tablet, diff);
	return { state: Y.decodeStateVector(Y.encodeStateVector(server)), deletions: Y.decodeUpdate(diff).ds };
}

/**
 * A practitioner's note N with text and a second note M, synced to a tablet; the tablet goes offline, and on the desk
 * N is signed meanwhile.
 */
function signedWhileOffline() {
	const server = noteDoc();
	const n = createNote(server, { title: 'Muayene', authorId: DR.userId });
	type(server, n, 'Bulgular normal.');
	const m = createNote(server, { title: 'Plan', authorId: DR.userId });
	type(server, m, 'Kontrol.');
	const tablet = noteDoc();
	Y.applyUpdate(tablet, Y.encodeStateAsUpdate(server));
	signNote(server, n, { userId: DR.userId, at: new Date() });
	return { server, tablet, n, m };
}

describe('NOTES-SIGN-2: what a tablet wrote offline into a note signed meanwhile becomes an addendum', () => {
	it('the tablet’s step 2 as before is refused whole: nothing of its other notes arrives either', () => {
		const { server, tablet, n, m } = signedWhileOffline();
		firstText(tablet, n).insert(16, ' Hafif kızarıklık.');
		firstText(tablet, m).insert(8, ' Bir hafta sonra.');
		const { state } = serverAnswer(server, tablet);
		const plain = Y.encodeStateAsUpdate(tablet, Y.encodeStateVector(state));
		expect(() => serverTakes(noteDoc(), Y.encodeStateAsUpdate(server), DR)).not.toThrow();
		const copy = noteDoc();
		Y.applyUpdate(copy, Y.encodeStateAsUpdate(server));
		expect(() => serverTakes(copy, plain, TABLET)).toThrow(NoteRuleError);
	});

	it('the server takes the rest, the signed note stays as signed, and an addendum holds the tablet’s text', () => {
		const { server, tablet, n, m } = signedWhileOffline();
		firstText(tablet, n).insert(16, ' Hafif kızarıklık.');
		firstText(tablet, m).insert(8, ' Bir hafta sonra.');
		const fresh = createNote(tablet, { title: 'Reçete', authorId: TABLET.userId });
		type(tablet, fresh, 'Krem, günde iki kez.');

		const { state, deletions } = serverAnswer(server, tablet);
		expect(hasSignedNoteEdits(tablet, state, deletions)).toBe(true);
		const addenda = rescueSignedNoteEdits(tablet, state, deletions, author);
		expect(addenda).toHaveLength(1);
		const { update } = updateForServer(tablet, state);
		expect(() => serverTakes(server, update, TABLET)).not.toThrow();

		expect(noteText(server, n)).toBe('Bulgular normal.');
		expect(noteText(server, m)).toBe('Kontrol. Bir hafta sonra.');
		expect(noteText(server, fresh)).toBe('Krem, günde iki kez.');
		const addendum = readNote(server, addenda[0])!;
		expect(addendum).toMatchObject({ addendumOf: n, authorId: TABLET.userId, title: 'Written offline: Muayene' });
		expect(noteText(server, addenda[0])).toBe('Bulgular normal. Hafif kızarıklık.');
		// Shown as signed at once (what it added is left out of the view), before its copy hears the server's deletions.
		const asSigned = signedBodyAsOnServer(tablet, n)!;
		expect(noteText(asSigned.doc!, n)).toBe('Bulgular normal.');
		// Once the tablet hears the server's delete set, it shows the signed note as the server has it, and has
		// nothing left to rescue or send about it.
		Y.applyUpdate(tablet, Y.encodeStateAsUpdate(server, Y.encodeStateVector(tablet)));
		expect(noteText(tablet, n)).toBe('Bulgular normal.');
		expect(listNotes(tablet).map((x) => [x.id, noteText(tablet, x.id)])).toEqual(
			listNotes(server).map((x) => [x.id, noteText(server, x.id)])
		);
		const again = serverAnswer(server, tablet);
		expect(hasSignedNoteEdits(tablet, again.state, again.deletions)).toBe(false);
	});

	it('a deletion made offline is rescued too, and counted as settled rather than sent', () => {
		const { server, tablet, n } = signedWhileOffline();
		firstText(tablet, n).delete(8, 8); // "Bulgular" is left
		const { state, deletions } = serverAnswer(server, tablet);
		const addenda = rescueSignedNoteEdits(tablet, state, deletions, author);
		const { update, withheld } = updateForServer(tablet, state);
		expect(withheld.clients.size).toBeGreaterThan(0);
		expect(() => serverTakes(server, update, TABLET)).not.toThrow();
		expect(noteText(server, n)).toBe('Bulgular normal.');
		expect(noteText(server, addenda[0])).toBe('Bulgular');
		// Yjs cannot undelete: the tablet's copy keeps its deletion, so it shows the signed note from a view without
		// it; it rescues the deletion only once, also after a reload.
		expect(noteText(tablet, n)).toBe('Bulgular');
		expect(noteText(signedBodyAsOnServer(tablet, n)!.doc!, n)).toBe('Bulgular normal.');
		const again = serverAnswer(server, tablet);
		expect(rescueSignedNoteEdits(tablet, again.state, again.deletions, author)).toEqual([]);
		const reloaded = noteDoc();
		Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(tablet));
		const afterReload = serverAnswer(server, reloaded);
		expect(hasSignedNoteEdits(reloaded, afterReload.state, afterReload.deletions)).toBe(false);
		expect(listNotes(server)).toHaveLength(3);
	});

	it('a title changed offline goes into the addendum; the note keeps its signed title', () => {
		const { server, tablet, n } = signedWhileOffline();
		tablet.getMap<Y.Map<unknown>>('notes').get(n)!.set('title', 'Muayene (güncel)');
		const { state, deletions } = serverAnswer(server, tablet);
		const addenda = rescueSignedNoteEdits(tablet, state, deletions, author);
		expect(() => serverTakes(server, updateForServer(tablet, state).update, TABLET)).not.toThrow();
		expect(readNote(server, n)!.title).toBe('Muayene');
		expect(readNote(server, addenda[0])!.title).toBe('Written offline: Muayene (güncel)');
		const again = serverAnswer(server, tablet);
		expect(rescueSignedNoteEdits(tablet, again.state, again.deletions, author)).toEqual([]);
		// The tablet's own copy has no title left for the note (it deleted the signed one, the server its new one):
		// it lists the note under the title it was signed with.
		expect(readNote(tablet, n)!.title).toBe('');
		expect(signedNoteAsOnServer(tablet, n)!.title).toBe('Muayene');
		const listed = withSignedTitles(tablet, listNotes(tablet));
		expect(listed.find((note) => note.id === n)!.title).toBe('Muayene');
		expect(listed.filter((note) => note.id !== n)).toEqual(listNotes(tablet).filter((note) => note.id !== n));
	});

	it('changes nothing when no signed note was touched, nor for a note the tablet itself signed offline', () => {
		const { server, tablet, m } = signedWhileOffline();
		firstText(tablet, m).insert(0, 'Yeni: ');
		const own = createNote(tablet, { title: 'Tablet', authorId: TABLET.userId });
		type(tablet, own, 'Yazıldı ve imzalandı.');
		signNote(tablet, own, { userId: TABLET.userId, at: new Date() });
		const { state, deletions } = serverAnswer(server, tablet);
		expect(hasSignedNoteEdits(tablet, state, deletions)).toBe(false);
		expect(rescueSignedNoteEdits(tablet, state, deletions, author)).toEqual([]);
		expect(() => serverTakes(server, updateForServer(tablet, state).update, TABLET)).not.toThrow();
		// Nothing rescued: the signed notes are shown from the doc itself.
		expect(signedBodyAsOnServer(tablet, own)).toBeNull();
		expect(noteText(server, own)).toBe('Yazıldı ve imzalandı.');
		expect(readNote(server, own)!.signedBy).toBe(TABLET.userId);
		expect(noteText(server, m)).toBe('Yeni: Kontrol.');
	});
});

describe('NOTES-SIGN-3: what an addendum rescued is taken only as the server holds it', () => {
	/** The tablet's rescue of an offline deletion and addition in the signed note N, as the server receives it. */
	function rescued() {
		const { server, tablet, n, m } = signedWhileOffline();
		firstText(tablet, n).delete(0, 9); // "Bulgular " deleted, "normal." left
		firstText(tablet, n).insert(7, ' Hafif kızarıklık.');
		// And a long line in a paragraph of its own: the answer is larger than one message of the test's size.
		type(tablet, n, 'Hasta ağrı kesici kullandığını, ağrının geceleri arttığını söyledi. '.repeat(20));
		const { state, deletions } = serverAnswer(server, tablet);
		const [addendum] = rescueSignedNoteEdits(tablet, state, deletions, author);
		return { server, tablet, n, m, addendum, update: updateForServer(tablet, state).update };
	}

	/** The server's copy, as it was before the tablet's answer (so a refused answer can be tried again). */
	const copyOf = (doc: Y.Doc) => {
		const copy = noteDoc();
		Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
		return copy;
	};

	/** A colleague's addendum of `of` with `fields` set by hand, as a forged update would carry it. */
	function forged(server: Y.Doc, of: string, fields: Record<string, unknown>): Uint8Array {
		const writer = copyOf(server);
		const before = Y.encodeStateVector(writer);
		const id = createNote(writer, { title: 'Ek', authorId: DR.userId, addendumOf: readNote(writer, of)?.signedAt ? of : null });
		const entry = writer.getMap<Y.Map<unknown>>('notes').get(id)!;
		writer.transact(() => {
			for (const [field, value] of Object.entries(fields)) entry.set(field, value);
		});
		return Y.encodeStateAsUpdate(writer, before);
	}

	it('takes the tablet’s record, also when its answer arrives in pieces, and every device shows the note as signed', () => {
		const { server, tablet, n, addendum, update } = rescued();
		const pieces = splitUpdate(update, 1030);
		expect(pieces.length).toBeGreaterThan(2);
		for (const piece of pieces) serverTakes(server, piece, TABLET);
		expect(readNote(server, addendum)).toMatchObject({ addendumOf: n });
		expect(noteText(server, n)).toBe('Bulgular normal.');
		expect(noteText(server, addendum)).toMatch(/^normal\. Hafif kızarıklık\.\nHasta ağrı kesici/);
		// A colleague's device, with the addendum and its record, shows the signed note as signed.
		const colleague = copyOf(server);
		expect(noteText(signedBodyAsOnServer(colleague, n)!.doc!, n)).toBe('Bulgular normal.');
		expect(noteText(signedBodyAsOnServer(tablet, n)!.doc!, n)).toBe('Bulgular normal.');
	});

	it('refuses a record that would show the signed note otherwise: undeleting what the signer deleted, hiding what it says', () => {
		const server = noteDoc();
		const n = createNote(server, { title: 'Muayene', authorId: DR.userId });
		type(server, n, 'Bulgular normal. Yanlış satır.');
		firstText(server, n).delete(16, 14); // the signer deletes " Yanlış satır." before signing
		signNote(server, n, { userId: DR.userId, at: new Date() });
		const text = firstText(server, n);
		const deletedRun = [...Y.createDeleteSetFromStructStore(server.store).clients].flatMap(([client, ranges]) =>
			ranges.map((r: { clock: number; len: number }) => [client, r.clock, r.len])
		)[0];
		const liveRun = [text._start!.id.client, text._start!.id.clock, 8]; // "Bulgular"
		for (const fields of [{ rescued: deletedRun }, { rescuedAdded: liveRun }]) {
			expect(() => serverTakes(copyOf(server), forged(server, n, fields), DR)).toThrow(/name only what the server holds/);
		}
	});

	it('refuses a record on a note that is not an addendum, a malformed or oversized one, and any later change of it', () => {
		const { server, n, m, addendum, update } = rescued();
		const notAddendum = forged(server, m, { rescued: [1, 0, 1] });
		expect(() => serverTakes(copyOf(server), notAddendum, DR)).toThrow(/only an addendum/);
		const tooMany = Array.from({ length: MAX_RESCUED_RANGES + 1 }, (_, i) => [7, i * 2, 1]).flat();
		for (const value of [[1, 2], [-1, 0, 1], [1, 0, 0], ['1', 0, 1], 'rescued', tooMany])
			expect(() => serverTakes(copyOf(server), forged(server, n, { rescued: value }), DR)).toThrow(/at most/);
		serverTakes(server, update, TABLET);
		const colleague = copyOf(server);
		const before = Y.encodeStateVector(colleague);
		colleague.getMap<Y.Map<unknown>>('notes').get(addendum)!.set('rescued', [1, 0, 1]);
		expect(() => serverTakes(copyOf(server), Y.encodeStateAsUpdate(colleague, before), DR)).toThrow(/never changes/);
		const removal = copyOf(server);
		const beforeRemoval = Y.encodeStateVector(removal);
		removal.getMap<Y.Map<unknown>>('notes').get(addendum)!.delete('rescuedAdded');
		expect(() => serverTakes(copyOf(server), Y.encodeStateAsUpdate(removal, beforeRemoval), DR)).toThrow(/never changes/);
	});

	it('a device ignores a malformed record written before these rules, and rescues as if it were not there', () => {
		const { server, tablet, n } = signedWhileOffline();
		const entry = createNote(tablet, { title: 'Eski', authorId: TABLET.userId });
		tablet.getMap<Y.Map<unknown>>('notes').get(entry)!.set('addendumOf', n);
		tablet
			.getMap<Y.Map<unknown>>('notes')
			.get(entry)!
			.set('rescued', ['x', { clock: 1 }]);
		expect(signedBodyAsOnServer(tablet, n)).toBeNull();
		firstText(tablet, n).insert(0, 'Ek: ');
		const { state, deletions } = serverAnswer(server, tablet);
		expect(rescueSignedNoteEdits(tablet, state, deletions, author)).toHaveLength(1);
	});
});
