/** Latency samples of one measuring window, kept exactly (a few hundred thousand doubles at most). */
export class Samples {
	#values = new Float64Array(1 << 16);
	#size = 0;

	get size(): number {
		return this.#size;
	}

	add(value: number): void {
		if (this.#size === this.#values.length) {
			const grown = new Float64Array(this.#values.length * 2);
			grown.set(this.#values);
			this.#values = grown;
		}
		this.#values[this.#size++] = value;
	}

	/** Nearest-rank percentiles, p in [0, 100]; NaN without samples. */
	percentiles(...ps: number[]): number[] {
		if (this.#size === 0) return ps.map(() => NaN);
		const sorted = this.#values.slice(0, this.#size).sort();
		return ps.map((p) => sorted[Math.min(this.#size - 1, Math.max(0, Math.ceil((p / 100) * this.#size) - 1))]);
	}
}
