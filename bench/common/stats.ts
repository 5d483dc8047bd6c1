/** Order statistics of a bench's samples: nearest rank, so a p99 is always a time that was measured. */
export function percentile(samples: readonly number[], p: number): number {
	if (samples.length === 0) return NaN;
	const sorted = [...samples].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (samples: readonly number[]) => percentile(samples, 50);
export const max = (samples: readonly number[]) => (samples.length === 0 ? NaN : Math.max(...samples));

/** Milliseconds as a table shows them: one decimal under 100 ms, whole above. */
export function ms(value: number): string {
	if (!Number.isFinite(value)) return '-';
	return value < 100 ? value.toFixed(1) : value.toFixed(0);
}
