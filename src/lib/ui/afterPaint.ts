/** A hidden tab draws no frames: work waiting for one runs after this long anyway. */
const HIDDEN_TAB_MS = 100;

/**
 * Runs `work` once, after the browser has drawn what is pending: for work that may follow the first screen (a
 * socket opening, a full-state broadcast to other tabs) but would hold it back if it ran first. `frames`: after
 * that many frames, for a screen a component finishes drawing a moment after its state says so (its own effects
 * run in a later task, after the next frame has started).
 */
export function afterPaint(work: () => void, frames = 1): void {
	let done = false;
	const run = () => {
		if (done) return;
		done = true;
		work();
	};
	const frame = (left: number) => requestAnimationFrame(() => (left > 1 ? frame(left - 1) : setTimeout(run, 0)));
	if (typeof requestAnimationFrame === 'function') frame(frames);
	setTimeout(run, HIDDEN_TAB_MS * frames);
}

/** How long `afterShown` waits for its element at most: it may be off screen, and then no entry ever comes. */
const SHOWN_LIMIT_MS = 300;

/**
 * Runs `work` once, after the browser has put on screen an element marked `elementtiming={identifier}` that it had
 * not painted before this call: for work that would hold back the frame bringing a screen's content (its raster
 * runs after the frames `afterPaint` counts, and on a slow device takes tens of milliseconds more). Through Element
 * Timing where the browser has it, else like `afterPaint(work, 2)`; at most `SHOWN_LIMIT_MS` later when no such element
 * comes (none drawn, or all below the fold).
 */
export function afterShown(identifier: string, work: () => void): void {
	if (typeof PerformanceObserver === 'undefined' || !PerformanceObserver.supportedEntryTypes?.includes('element')) {
		afterPaint(work, 2);
		return;
	}
	const since = performance.now();
	let done = false;
	const observer = new PerformanceObserver((list) => {
		if (list.getEntries().some((e) => isShown(e, identifier, since))) run();
	});
	const limit = setTimeout(run, SHOWN_LIMIT_MS);
	function run(): void {
		if (done) return;
		done = true;
		clearTimeout(limit);
		observer.disconnect();
		work();
	}
	observer.observe({ type: 'element' });
}

function isShown(entry: PerformanceEntry, identifier: string, since: number): boolean {
	const element = entry as PerformanceEntry & { identifier?: string; renderTime?: number };
	return element.identifier === identifier && (element.renderTime ?? 0) >= since;
}
