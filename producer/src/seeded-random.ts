/**
 * A small, fast, seeded pseudo-random generator (xoshiro128**, seeded through splitmix32).
 * Same (seed, workerId) => the same stream of numbers on every machine and Node version,
 * which is what makes the simulator's output reproducible. Not for cryptography.
 */

const TWO_POW_32 = 4294967296;

/** splitmix32 step: spreads a 32-bit state into a well-mixed 32-bit output. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class SeededRandom {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /**
   * @param seed any integer; only its low 32 bits matter.
   * @param workerId any integer; different workers with the same seed get independent streams.
   */
  constructor(seed: number, workerId = 0) {
    if (!Number.isInteger(seed) || !Number.isInteger(workerId)) {
      throw new RangeError(`SeededRandom: seed and workerId must be integers, got seed=${seed} workerId=${workerId}`);
    }
    let state = splitmix32((seed >>> 0) ^ Math.imul(workerId | 0, 0x632be5ab));
    this.#s0 = state = splitmix32(state ^ 0x1b873593);
    this.#s1 = state = splitmix32(state);
    this.#s2 = state = splitmix32(state);
    this.#s3 = splitmix32(state);
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1; // the all-zero state is a fixed point
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s0 = this.#s0;
    const s1 = this.#s1;
    const s2 = this.#s2;
    const s3 = this.#s3;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.#s1 = s1 ^ n2;
    this.#s0 = s0 ^ n3;
    this.#s2 = n2 ^ t;
    this.#s3 = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('SeededRandom.pick: cannot pick from an empty array');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Standard normal draw (Box-Muller; one value per call, the pair's twin is dropped for simplicity). */
  normal(mean = 0, stdDev = 1): number {
    const u1 = 1 - this.next(); // (0, 1], so log() stays finite
    const u2 = this.next();
    return mean + stdDev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /**
   * A departure delay in whole minutes, shaped like real airline statistics: about three quarters
   * of departures within +-5 minutes of schedule, a fifth moderately late, and a long tail of
   * flights hours late. Clamped to [minMin, maxMin].
   */
  departureDelayMinutes(minMin = -15, maxMin = 720): number {
    const bucket = this.next();
    let delayMin: number;
    if (bucket < 0.74) {
      delayMin = this.normal(0, 2.5);
    } else if (bucket < 0.95) {
      delayMin = 5 + this.exponential(18);
    } else {
      delayMin = 45 + this.exponential(90);
    }
    return Math.min(maxMin, Math.max(minMin, Math.round(delayMin))) + 0; // + 0 turns -0 into 0
  }
}
