import { describe, expect, it } from 'vitest';
import { LatencyReservoir } from '../../producer/src/latency-reservoir.ts';
import { SeededRandom } from '../../producer/src/seeded-random.ts';

describe('LatencyReservoir', () => {
  it('keeps every value while fewer than its capacity have been offered', () => {
    // GIVEN a reservoir of 5 WHEN 3 values are added THEN all 3 come back and all were seen
    const reservoir = new LatencyReservoir(5);
    for (const ms of [4.5, 1.25, 9]) reservoir.add(ms);
    expect(reservoir.values()).toStrictEqual([4.5, 1.25, 9]);
    expect(reservoir.seen).toBe(3);
  });

  it('keeps a uniform sample of a long run, not its first values', () => {
    // GIVEN a reservoir of 1,000 and a seeded random source
    const random = new SeededRandom(11, 0);
    const reservoir = new LatencyReservoir(1000, () => random.next());
    // WHEN 0..99,999 are offered in order (a run whose latency rises steadily)
    for (let ms = 0; ms < 100_000; ms++) reservoir.add(ms);
    const kept = reservoir.values();
    // THEN it holds 1,000 distinct offered values spread over the whole run
    expect(reservoir.seen).toBe(100_000);
    expect(kept).toHaveLength(1000);
    expect(new Set(kept).size).toBe(1000);
    expect(kept.every((ms) => Number.isInteger(ms) && ms >= 0 && ms < 100_000)).toBe(true);
    const mean = kept.reduce((a, b) => a + b, 0) / kept.length;
    expect(Math.abs(mean - 49_999.5)).toBeLessThan(0.05 * 49_999.5);
    // each tenth of the run holds about a tenth of the sample (binomial sd ~9.5; 5 sd either side)
    for (let tenth = 0; tenth < 10; tenth++) {
      const inTenth = kept.filter((ms) => Math.floor(ms / 10_000) === tenth).length;
      expect([tenth, inTenth > 52 && inTenth < 148]).toStrictEqual([tenth, true]);
    }
  });

  it('throws for a capacity that is not a positive integer, naming it', () => {
    expect(() => new LatencyReservoir(0)).toThrow('LatencyReservoir: capacity must be a positive integer, got 0');
    expect(() => new LatencyReservoir(2.5)).toThrow('got 2.5');
  });
});
