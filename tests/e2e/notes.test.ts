import type { Browser, BrowserContext, Page } from 'playwright-core';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNotes, noteText } from '../../src/lib/domain/notes.ts';
import { launchChromium, signIn } from '../helpers/browser.ts';
import { createClinic, createUser, ServerProcess, testEnv, type TestUser } from '../helpers/server.ts';

// Live notes (docs/spec/notes.md) as two practitioners write one patient's clinical note at once, one of them on a
// tablet that loses the network: both end with the same text holding everything both typed, each sees the other's
// caret, and the offline paragraph arrives when the tablet is back. Reception sees no clinical notes.
let server: ServerProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];
let desk: Page;
let tablet: Page;
let tabletContext: BrowserContext;
let reception: Page;
let patientUrl = '';
let adminUser: TestUser;

const PAGE = '[data-testid="patient-page"][data-ready="true"]';
const CLINICAL = '[data-testid="notes-clinical"]';
const BODY = `${CLINICAL} [data-testid="note-body"]`;

/** The note's paragraphs as the person reads them: the other people's caret labels are not part of the text. */
function text(page: Page): Promise<string> {
	return page.evaluate((selector) => {
		const body = document.querySelector(selector)?.cloneNode(true) as HTMLElement | undefined;
		body?.querySelectorAll('.collaboration-carets__caret').forEach((caret) => caret.remove());
		return [...(body?.querySelectorAll('p, h2, li') ?? [])].map((block) => block.textContent ?? '').join('\n');
	}, BODY);
}

/**
 * Waits until the note's text (without caret labels) contains `wanted`. When it never does, the error says what the
 * editor showed and what the device's stored copy of the notes doc holds: whether the change reached the device and
 * not its editor, or never reached it.
 */
async function untilText(page: Page, wanted: string): Promise<void> {
	try {
		await page.waitForFunction(
			([selector, want]) => {
				const body = document.querySelector(selector)?.cloneNode(true) as HTMLElement | undefined;
				body?.querySelectorAll('.collaboration-carets__caret').forEach((caret) => caret.remove());
				return (body?.textContent ?? '').includes(want);
			},
			[BODY, wanted] as const
		);
	} catch (error) {
		const shown = await text(page).catch(() => '(unreadable)');
		const stored = await storedNotes(page).catch((e: unknown) => `(unreadable: ${String(e)})`);
		throw new Error(`"${wanted}" never appeared; the editor shows ${JSON.stringify(shown)}; stored: ${stored}`, {
			cause: error
		});
	}
}

/** The clinical notes as the device stored them in IndexedDB: each note's text, from the doc's rows. */
async function storedNotes(page: Page): Promise<string> {
	const rows = await page.evaluate(
		() =>
			new Promise<number[][]>((resolve, reject) => {
				const open = indexedDB.open('frontdesk');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const all = open.result.transaction('docUpdates').objectStore('docUpdates').getAll();
					all.onerror = () => reject(all.error);
					all.onsuccess = () =>
						resolve(
							(all.result as { docName: string; update: Uint8Array }[])
								.filter((row) => row.docName.includes('/note/'))
								.map((row) => [...row.update])
						);
				};
			})
	);
	const doc = new Y.Doc({ gc: false });
	for (const row of rows) Y.applyUpdate(doc, Uint8Array.from(row));
	return JSON.stringify(listNotes(doc).map((note) => noteText(doc, note.id)));
}

/** Waits until a colleague's caret stands right after `before`, at the end of what its paragraph holds before it. */
async function untilCaretAfter(page: Page, before: string): Promise<void> {
	await page.waitForFunction(
		([selector, want]) => {
			const caret = document.querySelector(`${selector} .collaboration-carets__caret`);
			const block = caret?.closest('p, h2, li');
			if (!caret || !block) return false;
			const range = document.createRange();
			range.setStart(block, 0);
			range.setEndBefore(caret);
			return range.toString().endsWith(want);
		},
		[BODY, before] as const
	);
}

beforeAll(async () => {
	const env = testEnv();
	const clinic = await createClinic(env, 'Not Klinik');
	const [drA, drB, desk1] = [
		await createUser(env, clinic, 'practitioner'),
		await createUser(env, clinic, 'practitioner'),
		await createUser(env, clinic, 'reception')
	];
	adminUser = await createUser(env, clinic, 'admin');
	server = await ServerProcess.start(env);
	browser = await launchChromium();
	const a = await signIn(browser, server.url, drA, {
		path: '/patients',
		ready: ['[data-testid="patient-list"][data-ready="true"]']
	});
	const b = await signIn(browser, server.url, drB, {
		path: '/patients',
		ready: ['[data-testid="patient-list"][data-ready="true"]']
	});
	const r = await signIn(browser, server.url, desk1, { path: '/patients' });
	contexts.push(a.context, b.context, r.context);
	desk = a.page;
	tablet = b.page;
	tabletContext = b.context;
	reception = r.page;
	await desk.click('button[aria-expanded]');
	await desk.fill('[data-testid="new-patient"] input[name="name"]', 'Elif Demir');
	await desk.click('[data-testid="new-patient"] button[type="submit"]');
	await desk.waitForSelector(`${PAGE} [data-testid="patient-title"]:has-text("Elif Demir")`);
	patientUrl = desk.url();
	await tablet.goto(patientUrl);
	await tablet.waitForSelector(`${PAGE} ${CLINICAL}`);
});

afterAll(async () => {
	for (const context of contexts) await context.close();
	await browser?.close();
	await server?.stop();
});

describe('Live notes', () => {
	it('NOTES-LIVE-1: two practitioners type into one note at the same time and end with the same text, each seeing the other’s caret', async () => {
		await desk.click(`${CLINICAL} [data-testid="new-note"]`);
		await desk.click(BODY);
		await desk.keyboard.type('Muayene notu');
		await desk.keyboard.press('Enter');
		await tablet.click(`${CLINICAL} [data-testid="note-item"]`);
		await untilText(tablet, 'Muayene notu');
		await tablet.click(BODY);
		await tablet.keyboard.press('Control+End');
		await tablet.keyboard.press('Enter');
		// Both at once, at a person's pace.
		await Promise.all([
			desk.keyboard.type('Alt çene 36 numara implant planlandı.', { delay: 15 }),
			tablet.keyboard.type('Penisilin alerjisi bildirdi.', { delay: 15 })
		]);
		for (const page of [desk, tablet]) {
			await untilText(page, 'Alt çene 36 numara implant planlandı.');
			await untilText(page, 'Penisilin alerjisi bildirdi.');
		}
		expect(await text(desk)).toBe(await text(tablet));
		// Each line stays whole in its own paragraph, under the desk's first line (NOTES-CARET-2: the tablet's Enter
		// once split that first line when it reached the editor before the caret's move).
		const lines = (await text(desk)).split('\n').filter((line) => line !== '');
		expect(lines[0]).toBe('Muayene notu');
		expect(lines.slice(1).sort()).toEqual(['Alt çene 36 numara implant planlandı.', 'Penisilin alerjisi bildirdi.']);
		// Each sees the other's caret, named.
		await desk.waitForSelector(`${CLINICAL} .collaboration-carets__label`);
		await tablet.waitForSelector(`${CLINICAL} .collaboration-carets__label`);
		const deskSees = await desk.locator(`${CLINICAL} .collaboration-carets__label`).allTextContents();
		const tabletSees = await tablet.locator(`${CLINICAL} .collaboration-carets__label`).allTextContents();
		expect(deskSees).toHaveLength(1);
		expect(tabletSees).toHaveLength(1);
		expect(deskSees[0]).not.toBe(tabletSees[0]);
		// And where it stands: right after what the other typed (NOTES-CARET-1).
		await untilCaretAfter(desk, 'Penisilin alerjisi bildirdi.');
		await untilCaretAfter(tablet, 'Alt çene 36 numara implant planlandı.');
		await desk.waitForSelector(`${CLINICAL} [data-testid="note-editor"][data-on-server="true"]`);
	});

	it('NOTES-OFFLINE-1: a paragraph typed offline says it is not on the server, then merges with what was typed meanwhile', async () => {
		await tabletContext.setOffline(true);
		await tablet.waitForSelector(`${CLINICAL} [data-testid="note-editor"][data-on-server="false"]`);
		await tablet.click(BODY);
		await tablet.keyboard.press('Control+End');
		await tablet.keyboard.press('Enter');
		await tablet.keyboard.type('Çevrimdışı yazılan paragraf.');
		await desk.click(BODY);
		await desk.keyboard.press('Control+Home');
		await desk.keyboard.type('Kontrol: ');
		await desk.waitForSelector(`${CLINICAL} [data-testid="note-editor"][data-on-server="true"]`);
		expect(await text(desk)).not.toContain('Çevrimdışı');
		await tabletContext.setOffline(false);
		await untilText(desk, 'Çevrimdışı yazılan paragraf.');
		await untilText(tablet, 'Kontrol: Muayene notu');
		await tablet.waitForSelector(`${CLINICAL} [data-testid="note-editor"][data-on-server="true"]`);
		expect(await text(desk)).toBe(await text(tablet));
		const lines = (await text(desk)).split('\n').filter((line) => line !== '');
		expect(lines[0]).toBe('Kontrol: Muayene notu');
		expect(lines.at(-1)).toBe('Çevrimdışı yazılan paragraf.');
	});

	it('NOTES-HISTORY-1: a saved version is shown as it was and restored as a new edit on every device', async () => {
		await desk.click(`${CLINICAL} [data-testid="toggle-history"]`);
		const saved = await desk.locator(`${CLINICAL} [data-testid="version-item"]`).count();
		await desk.click(`${CLINICAL} [data-testid="save-version"]`);
		await desk.waitForFunction(
			([selector, count]) => document.querySelectorAll(`${selector} [data-testid="version-item"]`).length === count,
			[CLINICAL, saved + 1] as const
		);
		const before = await text(desk);
		await desk.click(BODY);
		await desk.keyboard.press('Control+End');
		await desk.keyboard.press('Enter');
		await desk.keyboard.type('Yanlışlıkla eklenen satır.');
		await untilText(tablet, 'Yanlışlıkla eklenen satır.');
		// The newest version is first.
		await desk.locator(`${CLINICAL} [data-testid="version-item"]`).first().click();
		await desk.waitForSelector(`${CLINICAL} [data-testid="version-body"]`);
		expect(await desk.locator(`${CLINICAL} [data-testid="version-body"]`).textContent()).not.toContain('Yanlışlıkla');
		await desk.click(`${CLINICAL} [data-testid="restore-version"]`);
		await desk.click('[data-testid="confirm-dialog"] [data-testid="confirm"]');
		await tablet.waitForFunction((selector) => !document.querySelector(selector)?.textContent?.includes('Yanlışlıkla'), BODY);
		expect(await text(tablet)).toBe(before);
		expect(await text(desk)).toBe(before);
	});

	it('NOTES-SIGN-1: the practitioner signs; on every device the note is locked and what comes later is an addendum', async () => {
		await desk.click(`${CLINICAL} [data-testid="note-sign"]`);
		await desk.click('[data-testid="confirm-dialog"] [data-testid="confirm"]');
		for (const page of [desk, tablet]) {
			await page.waitForSelector(`${CLINICAL} [data-testid="note-signature"]`);
			await page.waitForSelector(`${BODY}[contenteditable="false"]`);
		}
		await tablet.click(`${CLINICAL} [data-testid="note-addendum"]`);
		await tablet.waitForSelector(`${BODY}[contenteditable="true"]`);
		await tablet.click(BODY);
		await tablet.keyboard.type('Kontrol röntgeni istendi.');
		await desk.waitForFunction(
			(selector) => document.querySelectorAll(`${selector} [data-testid="note-item"]`).length === 2,
			CLINICAL
		);
		expect(await desk.locator(`${CLINICAL} [data-testid="note-signed"]`).count()).toBe(1);
	});

	it('NOTES-SIGN-2: a line typed offline into a note signed meanwhile becomes an addendum; nothing the tablet wrote is refused', async () => {
		const items = `${CLINICAL} [data-testid="note-item"]`;
		// The tablet has the addendum of NOTES-SIGN-1 open; the desk opens it too.
		await desk.click(`${items}:not(:has([data-testid="note-signed"]))`);
		await untilText(desk, 'Kontrol röntgeni istendi.');
		await tabletContext.setOffline(true);
		await tablet.waitForSelector(`${CLINICAL} [data-testid="note-editor"][data-on-server="false"]`);
		await tablet.click(BODY);
		await tablet.keyboard.press('Control+End');
		// It deletes a word too ("istendi."), and adds a line.
		for (let i = 0; i < 'istendi.'.length; i++) await tablet.keyboard.press('Backspace');
		await tablet.keyboard.press('Enter');
		await tablet.keyboard.type('Tabletten eklenen satır.');
		// Meanwhile the desk signs it.
		await desk.click(`${CLINICAL} [data-testid="note-sign"]`);
		await desk.click('[data-testid="confirm-dialog"] [data-testid="confirm"]');
		await desk.waitForSelector(`${BODY}[contenteditable="false"]`);
		await tabletContext.setOffline(false);

		// The tablet's version arrives as an addendum of the signed note, named so; the signed note is as signed.
		await desk.waitForFunction((selector) => document.querySelectorAll(selector).length === 3, items);
		const rescued = desk.locator(`${items}:has-text("İmzalanırken çevrimdışı yazılan")`);
		expect(await rescued.count()).toBe(1);
		const signed = await text(desk);
		expect(signed).toContain('Kontrol röntgeni istendi.');
		expect(signed).not.toContain('Tabletten');
		// The tablet shows the signed note as signed, word for word (also the word it deleted), and has nothing
		// left unsent.
		await tablet.waitForSelector(`${BODY}[contenteditable="false"]`);
		await tablet.waitForFunction((selector) => !document.querySelector(selector)?.textContent?.includes('Tabletten'), BODY);
		expect(await text(tablet)).toBe(signed);
		await tablet.waitForSelector(`${CLINICAL} [data-testid="note-editor"][data-on-server="true"]`);
		expect(await tablet.locator(items).count()).toBe(3);
		// The addendum holds the tablet's version.
		await rescued.click();
		await untilText(desk, 'Tabletten eklenen satır.');
		const written = await text(desk);
		expect(written).toContain('Kontrol röntgeni');
		expect(written).not.toContain('istendi');
	});

	it('NOTES-TEMPLATE-1: an admin keeps a template in Settings; a practitioner starts a note from it, laid out', async () => {
		const { context, page } = await signIn(browser, server.url, adminUser, {
			path: '/settings/note-templates',
			ready: ['[data-testid="note-templates"][data-ready="true"]']
		});
		contexts.push(context);
		await page.fill('input[name="templateTitle"]', 'İlk muayene');
		await page.selectOption('select[name="templateKind"]', 'clinical');
		await page.fill('textarea[name="templateText"]', '# Şikâyet\nHastanın anlatımı.\n[ ] Röntgen\n[ ] Onam formu');
		await page.click('[data-testid="note-template-form"] button[type="submit"]');
		await page.waitForSelector('[data-testid="note-template"]:has-text("İlk muayene")');
		await desk.waitForSelector(`${CLINICAL} [data-testid="note-from-template"] option:has-text("İlk muayene")`, {
			state: 'attached'
		});
		await desk.selectOption(`${CLINICAL} [data-testid="note-from-template"]`, { label: 'İlk muayene' });
		await desk.waitForSelector(`${BODY} h2:has-text("Şikâyet")`);
		expect(await desk.locator(`${BODY} ul[data-type="taskList"] li`).count()).toBe(2);
		expect(await desk.inputValue(`${CLINICAL} input[name="noteTitle"]`)).toBe('İlk muayene');
	});

	it('NOTES-ACCESS-1: reception sees the patient and administrative notes, never the clinical ones', async () => {
		await reception.goto(patientUrl);
		await reception.waitForSelector(`${PAGE} [data-testid="notes-administrative"]`);
		expect(await reception.locator(CLINICAL).count()).toBe(0);
		// Nor in the timeline, where the practitioners see them.
		await desk.waitForSelector('[data-testid="patient-timeline"] [data-kind="note"]');
		expect(await reception.locator('[data-testid="patient-timeline"] [data-kind="note"]').count()).toBe(0);
	});
});
