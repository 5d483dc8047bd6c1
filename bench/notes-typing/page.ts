/**
 * Runs inside each context's patient page with the clinical note open (bundled by `bundleForPage`, installed with
 * `page.evaluate`). Every page notes when the note's text first reached each length, in the DOM and in the frame
 * after; the typing page also notes each keystroke. Times are on a clock all pages share:
 * `performance.timeOrigin + performance.now()` (milliseconds since 1970, from the system's clock).
 */

export interface NotesBenchPage {
	/** Starts noting: the body's text (caret labels aside) and, with `typist`, the keystrokes. */
	start(typist: boolean): void;
	/** When each text keystroke was taken (its event's time stamp): keys[i] made the text i + 1 characters long. */
	keys: number[];
	/** seen[n - 1]: when the body first held n characters in the DOM. */
	seen: number[];
	/** painted[n - 1]: the task right after the next frame, once it held them. */
	painted: number[];
	length(): number;
	/** This page's clock minus the system's (`Date.now()`), from many readings: how far the shared clock is off here. */
	clockOffset(): number;
	stop(): void;
}

declare global {
	interface Window {
		notesBench?: NotesBenchPage;
	}
}

const BODY = '[data-testid="notes-clinical"] [data-testid="note-body"]';
/** The other people's carets are widgets inside the text: their name labels are not the note's text. */
const CARET = '.collaboration-carets__caret';

const now = () => performance.timeOrigin + performance.now();

function install(): NotesBenchPage {
	const keys: number[] = [];
	const seen: number[] = [];
	const painted: number[] = [];
	let observer: MutationObserver | null = null;
	let keyedDown = false;
	const body = () => document.querySelector<HTMLElement>(BODY)!;

	function length(): number {
		const element = body();
		let carets = 0;
		for (const caret of element.querySelectorAll(CARET)) carets += caret.textContent?.length ?? 0;
		return (element.textContent?.length ?? 0) - carets;
	}

	function noteLength(): void {
		const n = length();
		if (n <= seen.length) return;
		const at = now();
		while (seen.length < n) seen.push(at);
		requestAnimationFrame(() => {
			const channel = new MessageChannel();
			channel.port1.onmessage = () => {
				const paintedAt = now();
				while (painted.length < n) painted.push(paintedAt);
			};
			channel.port2.postMessage(null);
		});
	}

	// A key that types a character: its keydown (Playwright sends characters off the US layout, such as ş, as text
	// input without one; then the beforeinput is the keystroke).
	const onKeydown = (event: KeyboardEvent) => {
		keyedDown = event.key.length === 1 && !event.ctrlKey && !event.metaKey;
		if (keyedDown) keys.push(performance.timeOrigin + event.timeStamp);
	};
	const onBeforeInput = (event: InputEvent) => {
		if (event.inputType !== 'insertText') return;
		if (!keyedDown) keys.push(performance.timeOrigin + event.timeStamp);
		keyedDown = false;
	};
	const onKeyup = () => (keyedDown = false);

	return {
		keys,
		seen,
		painted,
		length,
		start(typist) {
			noteLength();
			observer = new MutationObserver(noteLength);
			observer.observe(body(), { childList: true, subtree: true, characterData: true });
			if (!typist) return;
			document.addEventListener('keydown', onKeydown, true);
			document.addEventListener('beforeinput', onBeforeInput, true);
			document.addEventListener('keyup', onKeyup, true);
		},
		clockOffset() {
			// Read over 20 ms so Date.now()'s whole milliseconds fall at every phase: on average it is 0.5 ms behind.
			let sum = 0;
			let count = 0;
			const until = performance.now() + 20;
			while (performance.now() < until) {
				sum += now() - Date.now();
				count++;
			}
			return sum / count - 0.5;
		},
		stop() {
			observer?.disconnect();
			document.removeEventListener('keydown', onKeydown, true);
			document.removeEventListener('beforeinput', onBeforeInput, true);
			document.removeEventListener('keyup', onKeyup, true);
		}
	};
}

window.notesBench = install();
