/**
 * Runs at the start of every document of the bench's browser context (an init script, bundled by
 * `bundleForPage`). It counts the rows the app writes to IndexedDB, so the bench can wait for a quiet device and show
 * what a load wrote; on a patient's page it notes, in the page's own clock (0 = the navigation's start), when the
 * record is ready, when the name is drawn, when the timeline holds every expected entry, and the frame after that.
 */

export interface PatientPageTimes {
	/** `data-ready`: the device's copy of the contacts doc is loaded. */
	ready: number | null;
	title: number | null;
	/** Every expected timeline entry is in the DOM. */
	timeline: number | null;
	/** The task right after the next frame: the timeline is painted. */
	painted: number | null;
	entries: number;
	/** Rows the app wrote to IndexedDB before the timeline was painted. */
	rowsWritten: number;
}

export interface DeviceWrites {
	rows: number;
	/** `performance.now()` of the last write, 0 before any. */
	lastAt: number;
}

declare global {
	interface Window {
		/** Set by the bench before this script: how many timeline entries make the page complete. */
		patientPageExpected?: number;
		patientPageTimes?: PatientPageTimes;
		deviceWrites?: DeviceWrites;
	}
}

function countWrites(): DeviceWrites {
	const writes: DeviceWrites = { rows: 0, lastAt: 0 };
	const store = IDBObjectStore.prototype;
	for (const method of ['put', 'add', 'delete', 'clear'] as const) {
		const original = store[method] as (...args: unknown[]) => IDBRequest;
		Object.defineProperty(store, method, {
			configurable: true,
			writable: true,
			value(this: IDBObjectStore, ...args: unknown[]) {
				writes.rows++;
				writes.lastAt = performance.now();
				return original.apply(this, args);
			}
		});
	}
	return writes;
}

function watch(expected: number, writes: DeviceWrites): void {
	const times: PatientPageTimes = { ready: null, title: null, timeline: null, painted: null, entries: 0, rowsWritten: 0 };
	window.patientPageTimes = times;
	const observer = new MutationObserver(() => {
		const now = performance.now();
		if (times.ready === null && document.querySelector('[data-testid="patient-page"][data-ready="true"]')) times.ready = now;
		if (times.title === null && document.querySelector('[data-testid="patient-title"]')) times.title = now;
		const entries = document.querySelectorAll('[data-testid="patient-timeline"] li[data-kind]').length;
		if (entries < expected) return;
		times.timeline = now;
		times.entries = entries;
		observer.disconnect();
		requestAnimationFrame(() => {
			const channel = new MessageChannel();
			channel.port1.onmessage = () => {
				times.painted = performance.now();
				times.rowsWritten = writes.rows;
			};
			channel.port2.postMessage(null);
		});
	});
	observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-ready'] });
}

window.deviceWrites = countWrites();
if (location.pathname.startsWith('/patients/')) watch(window.patientPageExpected ?? 1, window.deviceWrites);
