/** A hidden tab draws no frames: work waiting for one runs after this long anyway. */
const HIDDEN_TAB_MS = 100;

/**
 * Runs `work` once, after the browser has drawn what is pending: for work that may follow the first screen (a
 * socket opening, a full-state broadcast to other tabs) but would hold it back if it ran first.
 */
export function afterPaint(work: () => void): void {
	let done = false;
	const run = () => {
		if (done) return;
		done = true;
		work();
	};
	if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(run, 0));
	setTimeout(run, HIDDEN_TAB_MS);
}
