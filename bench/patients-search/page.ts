import * as Y from 'yjs';
import { contactLabel, formatPhone } from '../../src/lib/domain/contacts.ts';
import { listPatients, type Patient } from '../../src/lib/domain/patients.ts';
import { foldText, phoneKeys, queryWords, searchWords } from '../../src/lib/domain/textSearch.ts';

/**
 * Runs inside the patient list's page (bundled by `bundleForPage`, installed with `page.evaluate`). It times each
 * keystroke in `#patient-search` from the key's event to the frame after the list shows the answer, and answers the
 * same searches the naive way for the reference. Times are the page's own (`performance.now()`), never a
 * Playwright round trip.
 */

const LIST_LIMIT = 50;
const DATABASE = 'frontdesk';

/** One timed keystroke; times in ms from the page's time origin. */
export interface KeystrokeSample {
	value: string;
	/** The keydown event's time stamp. */
	keyAt: number;
	/** The list's DOM holds the answer (seen by a MutationObserver). */
	domAt: number;
	/** The task right after the next frame: the answer is painted. */
	paintedAt: number;
	/** The list already showed a right answer when the value changed (`0532` → `0532 `): nothing to see, not timed. */
	unchanged: boolean;
}

export interface NaiveAnswer {
	found: number;
	/** From the start to the rows in the DOM. */
	domMs: number;
	/** From the start to the frame after them. */
	paintedMs: number;
}

export interface PatientsBenchPage {
	/** Reads the contacts doc from the device's IndexedDB into a doc of its own and starts watching the list. */
	setup(contactsDocName: string): Promise<{ patients: number }>;
	/**
	 * The value the next change will leave in the box, timed or not (a clear); resolves when the page is idle, with how
	 * many patients match it.
	 */
	arm(value: string, timed: boolean): Promise<number>;
	/** The list on screen answers the armed value. */
	answersNow(): boolean;
	samples: KeystrokeSample[];
	/** Answers `value` the naive way: `read` every patient from the doc and fold each, or filter a list folded once (`memory`). */
	naive(value: string, mode: 'read' | 'memory'): Promise<NaiveAnswer>;
	teardown(): void;
}

declare global {
	interface Window {
		patientsBench?: PatientsBenchPage;
	}
}

/** The words the device's table keeps for a patient: as `rowOf` in src/lib/local/patientIndex.ts. */
function wordsOf(patient: Patient): string[] {
	return [
		...new Set([
			...searchWords(patient.name),
			...patient.phones.flatMap(phoneKeys),
			...patient.emails.flatMap((e) => searchWords(e.replace('@', ' '))),
			...patient.tags.flatMap((t) => searchWords(t))
		])
	];
}

const sortKeyOf = (patient: Patient) => `${foldText(contactLabel(patient))}\u0000${patient.id}`;
const matches = (words: readonly string[], query: readonly string[]) => query.every((q) => words.some((w) => w.startsWith(q)));
const queryOf = (value: string) => (value.trim() ? queryWords(value) : []);

function request<T>(req: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
	});
}

/** The doc as the device stored it: every stored update of it, in the order written. */
async function storedDoc(name: string): Promise<Y.Doc> {
	const db = await request(indexedDB.open(DATABASE));
	try {
		const store = db.transaction('docUpdates').objectStore('docUpdates');
		const rows = await request(store.index('docName').getAll(name) as IDBRequest<{ update: Uint8Array }[]>);
		const doc = new Y.Doc();
		for (const row of rows) Y.applyUpdate(doc, row.update);
		return doc;
	} finally {
		db.close();
	}
}

/** Resolves in the task after the next frame: what the DOM holds now is painted. */
function afterNextPaint(): Promise<number> {
	return new Promise((resolve) =>
		requestAnimationFrame(() => {
			const channel = new MessageChannel();
			channel.port1.onmessage = () => resolve(performance.now());
			channel.port2.postMessage(null);
		})
	);
}

const idle = () => new Promise<void>((resolve) => requestIdleCallback(() => resolve(), { timeout: 1000 }));

interface Target {
	value: string;
	words: string[];
	rows: number;
	/** For the empty search the rows are known exactly: the first ones in the table's order. */
	exact: Set<string> | null;
	timed: boolean;
	keyAt: number | null;
	done: boolean;
}

function install(): PatientsBenchPage {
	let doc: Y.Doc | null = null;
	let folded: { patient: Patient; words: string[]; sortKey: string }[] = [];
	const wordsById = new Map<string, string[]>();
	let target: Target | null = null;
	let observer: MutationObserver | null = null;
	let naiveList: HTMLOListElement | null = null;
	const samples: KeystrokeSample[] = [];
	const input = () => document.querySelector<HTMLInputElement>('#patient-search')!;

	function answered(t: Target): boolean {
		if (input().value !== t.value) return false;
		const rows = [...document.querySelectorAll<HTMLAnchorElement>('[data-testid="patient-list"] [data-testid="patient-row"]')];
		if (rows.length !== t.rows) return false;
		if (t.rows === 0) return document.querySelector('[data-testid="patient-list-empty"]') !== null;
		return rows.every((row) => {
			const id = row.getAttribute('href')!.split('/').pop()!;
			return t.exact ? t.exact.has(id) : matches(wordsById.get(id) ?? [], t.words);
		});
	}

	function record(t: Target, unchanged: boolean): void {
		t.done = true;
		if (!t.timed) return;
		const domAt = performance.now();
		void afterNextPaint().then((paintedAt) => {
			samples.push({ value: t.value, keyAt: t.keyAt ?? domAt, domAt, paintedAt, unchanged });
		});
	}

	const onKeydown = (event: KeyboardEvent) => {
		// The event's time stamp: when the browser took the key, before any handler ran.
		if (target && target.keyAt === null) target.keyAt = event.timeStamp;
	};
	const onInput = () => {
		// Before the app has read the new value: the list on screen already answers it, so no change will show.
		if (target && !target.done && answered(target)) record(target, true);
	};

	function renderNaive(rows: Patient[]): void {
		if (!naiveList) {
			naiveList = document.createElement('ol');
			naiveList.style.cssText =
				'position:fixed;top:0;right:0;width:40%;height:100%;overflow:hidden;background:#fff;z-index:1000;font:14px sans-serif';
			document.body.append(naiveList);
		}
		naiveList.replaceChildren(
			...rows.map((p) => {
				const li = document.createElement('li');
				li.textContent = `${contactLabel(p)} ${p.phones.map(formatPhone).join(' · ')} ${p.tags.join(' ')}`;
				return li;
			})
		);
	}

	return {
		samples,
		async setup(contactsDocName) {
			doc = await storedDoc(contactsDocName);
			folded = listPatients(doc).map((patient) => ({ patient, words: wordsOf(patient), sortKey: sortKeyOf(patient) }));
			for (const f of folded) wordsById.set(f.patient.id, f.words);
			document.addEventListener('keydown', onKeydown, true);
			document.addEventListener('input', onInput, true);
			const list = document.querySelector('[data-testid="patient-list"] ul')!;
			observer = new MutationObserver(() => {
				if (target && target.keyAt !== null && !target.done && answered(target)) record(target, false);
			});
			observer.observe(list, { childList: true, subtree: true, characterData: true });
			return { patients: folded.length };
		},
		async arm(value, timed) {
			const words = queryOf(value);
			const found = folded.filter((f) => matches(f.words, words));
			// The empty search lists the table in its index order (IndexedDB compares strings by code units).
			const exact =
				words.length === 0
					? new Set(
							found
								.map((f) => f.sortKey)
								.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
								.slice(0, LIST_LIMIT)
								.map((k) => k.slice(k.indexOf('\u0000') + 1))
						)
					: null;
			await idle();
			target = { value, words, rows: Math.min(LIST_LIMIT, found.length), exact, timed, keyAt: null, done: false };
			return found.length;
		},
		answersNow: () => target !== null && answered(target),
		async naive(value, mode) {
			const words = queryOf(value);
			const started = performance.now();
			const candidates =
				mode === 'read'
					? listPatients(doc!).map((patient) => ({ patient, words: wordsOf(patient), sortKey: sortKeyOf(patient) }))
					: folded;
			const found = candidates.filter((c) => matches(c.words, words));
			// As the app orders a search's answer (queryPatients): code units, the order of the table's index.
			found.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
			renderNaive(found.slice(0, LIST_LIMIT).map((f) => f.patient));
			const domAt = performance.now();
			const paintedAt = await afterNextPaint();
			return { found: found.length, domMs: domAt - started, paintedMs: paintedAt - started };
		},
		teardown() {
			observer?.disconnect();
			document.removeEventListener('keydown', onKeydown, true);
			document.removeEventListener('input', onInput, true);
			naiveList?.remove();
			target = null;
		}
	};
}

window.patientsBench = install();
