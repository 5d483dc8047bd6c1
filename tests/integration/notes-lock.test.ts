import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../src/lib/domain/syncProtocol.ts';
import { createNote, listNotes, noteBody, noteText, readNote, signNote } from '../../src/lib/domain/notes.ts';
import { answerToNotes } from '../../src/lib/domain/signedNoteEdits.ts';
import { DocConnection, type ConnectionState } from '../../src/lib/sync/DocConnection.ts';
import { startClinicServer, type ClinicServer } from '../helpers/clinic.ts';
import {
	browserLikeWebSocket,
	closedEvent,
	connectProvider,
	login,
	upgradeStatus,
	whenDoc,
	whenSynced,
	withTimeout
} from '../helpers/client.ts';
import { createUser } from '../helpers/server.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
	for (const undo of cleanup.splice(0).reverse()) await undo();
});

function open(s: ClinicServer, docName: string, cookie: string) {
	const provider = connectProvider(s.server.wsUrl, docName, { cookie, origin: s.server.url });
	cleanup.push(async () => provider.destroy());
	return provider;
}

function write(doc: Y.Doc, noteId: string, text: string): void {
	const paragraph = new Y.XmlElement('paragraph');
	paragraph.insert(0, [new Y.XmlText(text)]);
	noteBody(doc, noteId).push([paragraph]);
}

describe('NOTES-DOC-1: clinical notes are for practitioners and admins', () => {
	it("a practitioner's socket for a note doc is accepted; reception's is refused", async () => {
		const s = await startClinicServer('practitioner');
		cleanup.push(() => s.server.stop());
		const desk = await createUser(s.env, s.clinic, 'reception');
		const deskCookie = await login(s.server.url, desk.email, desk.password);
		const url = `${s.server.wsUrl}/sync/${s.clinic}/note/patient1`;
		expect(await upgradeStatus(url, { cookie: s.cookie, origin: s.server.url })).toBe(101);
		expect(await upgradeStatus(url, { cookie: deskCookie, origin: s.server.url })).toBe(403);
		// Administrative notes are every staff member's.
		expect(
			await upgradeStatus(`${s.server.wsUrl}/sync/${s.clinic}/memo/patient1`, { cookie: deskCookie, origin: s.server.url })
		).toBe(101);
	});
});

describe('NOTES-SIGN-1: a locked note refuses edits from everyone', () => {
	it('after the practitioner signs, an edit by any practitioner or admin closes its socket and is never stored', async () => {
		const s = await startClinicServer('practitioner');
		cleanup.push(() => s.server.stop());
		const other = await createUser(s.env, s.clinic, 'practitioner');
		const admin = await createUser(s.env, s.clinic, 'admin');
		const docName = `${s.clinic}/note/patient1`;

		const author = open(s, docName, s.cookie);
		await withTimeout(whenSynced(author), 5000, 'author synced');
		const noteId = createNote(author.doc, { title: 'Muayene', authorId: s.user.id });
		write(author.doc, noteId, 'Bulgular normal.');
		signNote(author.doc, noteId, { userId: s.user.id, at: new Date() });

		for (const user of [other, admin]) {
			const cookie = await login(s.server.url, user.email, user.password);
			const provider = open(s, docName, cookie);
			await withTimeout(whenSynced(provider), 5000, 'synced');
			await withTimeout(
				whenDoc(provider.doc, (d) => readNote(d, noteId)?.signedAt != null),
				5000,
				'the signature arrives'
			);
			const closed = closedEvent(provider);
			write(provider.doc, noteId, 'Sonradan eklenen satır.');
			expect(await withTimeout(closed, 5000, 'refused')).toMatchObject({
				code: CloseCode.writeRefused,
				reason: 'a signed note is locked'
			});
			provider.destroy();
		}
		// The author too.
		const closed = closedEvent(author);
		write(author.doc, noteId, 'Yazarın sonradan eklediği.');
		expect((await withTimeout(closed, 5000, 'refused')).code).toBe(CloseCode.writeRefused);
		author.destroy();

		// What the server holds: the signed note as it was signed.
		const reader = open(s, docName, s.cookie);
		await withTimeout(whenSynced(reader), 5000, 'reader synced');
		expect(noteText(reader.doc, noteId)).toBe('Bulgular normal.');
	});
});

describe('NOTES-SIGN-2: a tablet that wrote offline into a note signed meanwhile loses nothing', () => {
	it('its text of the signed note becomes an addendum, the rest of what it wrote arrives, and nothing is refused', async () => {
		const s = await startClinicServer('practitioner');
		cleanup.push(() => s.server.stop());
		const nurse = await createUser(s.env, s.clinic, 'practitioner');
		const nurseCookie = await login(s.server.url, nurse.email, nurse.password);
		const docName = `${s.clinic}/note/patient1`;

		const desk = open(s, docName, s.cookie);
		await withTimeout(whenSynced(desk), 5000, 'desk synced');
		const signed = createNote(desk.doc, { title: 'Muayene', authorId: s.user.id });
		write(desk.doc, signed, 'Bulgular normal.');
		const plan = createNote(desk.doc, { title: 'Plan', authorId: s.user.id });
		write(desk.doc, plan, 'Kontrol.');

		// The tablet: the device's connection, answering the server as the app does for clinical notes.
		const tablet = new Y.Doc({ gc: false });
		const states: ConnectionState[] = [];
		const connection = new DocConnection(docName, tablet, {
			url: `${s.server.wsUrl}/sync`,
			WebSocket: browserLikeWebSocket(nurseCookie, s.server.url),
			sessionStands: async () => true,
			onState: (state) => states.push(state),
			onServerStateVector: () => {},
			// As the app: the device asks for the server's delete set after sending deletions.
			onServerDeletions: () => {},
			answerServer: (state, deletions) =>
				answerToNotes(tablet, state, deletions, {
					userId: nurse.id,
					titleOf: (note) => `Çevrimdışı: ${note.title}`,
					now: new Date()
				}).update
		});
		cleanup.push(async () => connection.destroy());
		connection.start();
		await withTimeout(
			whenDoc(tablet, (d) => noteText(d, plan) === 'Kontrol.'),
			5000,
			'tablet has the notes'
		);

		// Offline, the tablet writes into both notes; meanwhile the desk signs the first.
		connection.pause();
		write(tablet, signed, 'Hafif kızarıklık.');
		write(tablet, plan, 'Bir hafta sonra.');
		signNote(desk.doc, signed, { userId: s.user.id, at: new Date() });
		const reader = open(s, docName, s.cookie);
		await withTimeout(
			whenDoc(reader.doc, (d) => readNote(d, signed)?.signedAt != null),
			5000,
			'signature stored'
		);

		states.length = 0;
		connection.reconnect();
		const addendumOf = (d: Y.Doc) => listNotes(d).find((n) => n.addendumOf === signed);
		await withTimeout(
			whenDoc(desk.doc, (d) => noteText(d, plan) === 'Kontrol.\nBir hafta sonra.' && addendumOf(d) !== undefined),
			5000,
			'the plan and the addendum reach the desk'
		);
		const addendum = addendumOf(desk.doc)!;
		expect(addendum).toMatchObject({ authorId: nurse.id, title: 'Çevrimdışı: Muayene', signedAt: null });
		expect(noteText(desk.doc, addendum.id)).toBe('Bulgular normal.\nHafif kızarıklık.');
		expect(noteText(desk.doc, signed)).toBe('Bulgular normal.');
		// The tablet was never refused (a refusal closes the socket: "offline", then a reconnect).
		expect(states).not.toContain('offline');
		// Once it hears the server's delete set, the tablet shows the signed note as signed.
		await withTimeout(
			whenDoc(tablet, (d) => noteText(d, signed) === 'Bulgular normal.'),
			5000,
			'tablet shows the signed text'
		);
		expect(states.at(-1)).toBe('synced');
	});
});

describe('NOTES-SIGN-3: an addendum’s record of rescued edits is taken only as the server holds it', () => {
	it('a forged record that would hide part of a signed note on every device closes its socket and is never stored', async () => {
		const s = await startClinicServer('practitioner');
		cleanup.push(() => s.server.stop());
		const other = await createUser(s.env, s.clinic, 'practitioner');
		const docName = `${s.clinic}/note/patient1`;
		const author = open(s, docName, s.cookie);
		await withTimeout(whenSynced(author), 5000, 'author synced');
		const noteId = createNote(author.doc, { title: 'Muayene', authorId: s.user.id });
		write(author.doc, noteId, 'Bulgular normal. Penisilin alerjisi var.');
		signNote(author.doc, noteId, { userId: s.user.id, at: new Date() });

		const cookie = await login(s.server.url, other.email, other.password);
		const forger = open(s, docName, cookie);
		await withTimeout(whenSynced(forger), 5000, 'synced');
		await withTimeout(
			whenDoc(forger.doc, (d) => readNote(d, noteId)?.signedAt != null),
			5000,
			'signed'
		);
		// "Penisilin alerjisi var." listed as if it were the forger's own offline addition (a placeholder on the server).
		const text = (noteBody(forger.doc, noteId).get(0) as Y.XmlElement).get(0) as Y.XmlText;
		const hidden = [text._start!.id.client, text._start!.id.clock + 17, 23];
		const closed = closedEvent(forger);
		forger.doc.transact(() => {
			const addendum = createNote(forger.doc, { title: 'Ek', authorId: other.id, addendumOf: noteId });
			forger.doc.getMap<Y.Map<unknown>>('notes').get(addendum)!.set('rescuedAdded', hidden);
		});
		expect(await withTimeout(closed, 5000, 'refused')).toMatchObject({
			code: CloseCode.writeRefused,
			reason: 'rescued edits name only what the server holds of the signed note'
		});
		forger.destroy();

		const reader = open(s, docName, s.cookie);
		await withTimeout(whenSynced(reader), 5000, 'reader synced');
		expect(listNotes(reader.doc).map((note) => note.id)).toEqual([noteId]);
		expect(noteText(reader.doc, noteId)).toBe('Bulgular normal. Penisilin alerjisi var.');
	});
});
