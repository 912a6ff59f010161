/**
 * A uniform random sample of produce-request latencies, of fixed size, for the run's p50/p99.
 *
 * A producer pod runs for days. Keeping every latency (or the first N) either grows without bound
 * or describes only the first minutes. Reservoir sampling (Vitter's Algorithm R) keeps `capacity`
 * values, each of the n seen so far with the same probability capacity/n, in one Float64Array
 * allocated up front, so the sample costs the same memory at minute 1 and at day 3. The 30-minute
 * soak had shown the old array among the few things still growing.
 */

export class LatencyReservoir {
  readonly #samples: Float64Array;
  readonly #random: () => number;
  #seen = 0;

  /**
   * @param capacity values kept (default 20,000: 160 KiB; p99 then rests on ~200 values above it)
   * @param random uniform [0, 1) source; Math.random by default (the sample is not part of the event stream)
   */
  constructor(capacity = 20_000, random: () => number = Math.random) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`LatencyReservoir: capacity must be a positive integer, got ${capacity}`);
    }
    this.#samples = new Float64Array(capacity);
    this.#random = random;
  }

  /** Latencies offered so far (kept or not). */
  get seen(): number {
    return this.#seen;
  }

  add(latencyMs: number): void {
    const index = this.#seen++;
    if (index < this.#samples.length) {
      this.#samples[index] = latencyMs;
      return;
    }
    const slot = Math.floor(this.#random() * this.#seen);
    if (slot < this.#samples.length) this.#samples[slot] = latencyMs;
  }

  /** A copy of the kept values (at most `capacity`), in no particular order. */
  values(): number[] {
    return Array.from(this.#samples.subarray(0, Math.min(this.#seen, this.#samples.length)));
  }
}
