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
