import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../producer/src/seeded-random.ts';

describe('SeededRandom', () => {
  it('repeats the same stream for the same seed and worker', () => {
    const a = new SeededRandom(123, 4);
    const b = new SeededRandom(123, 4);
    expect(Array.from({ length: 1000 }, () => a.nextUint32())).toEqual(Array.from({ length: 1000 }, () => b.nextUint32()));
  });

  it('gives different workers and seeds different streams', () => {
    const first = (r: SeededRandom) => Array.from({ length: 8 }, () => r.nextUint32());
    expect(first(new SeededRandom(123, 0))).not.toEqual(first(new SeededRandom(123, 1)));
    expect(first(new SeededRandom(0, 0))).not.toEqual(first(new SeededRandom(1, 0)));
  });

  it('draws uniformly in [0, 1) and integers within inclusive bounds', () => {
    const r = new SeededRandom(9);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]! += 1;
    }
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(600);
    const ints = new Set(Array.from({ length: 2000 }, () => r.int(-2, 2)));
    expect([...ints].sort()).toEqual([-1, -2, 0, 1, 2].sort());
  });

  it('picks every element of a list and refuses an empty one', () => {
    const r = new SeededRandom(5);
    expect(new Set(Array.from({ length: 500 }, () => r.pick(['a', 'b', 'c'])))).toEqual(new Set(['a', 'b', 'c']));
    expect(() => r.pick([])).toThrow(/empty/);
  });

  it('draws departure delays as whole minutes, mostly near zero, with a long tail, within the bounds', () => {
    const r = new SeededRandom(77);
    const delays = Array.from({ length: 20_000 }, () => r.departureDelayMinutes(-15, 720));
    expect(delays.every((d) => Number.isInteger(d) && d >= -15 && d <= 720 && !Object.is(d, -0))).toBe(true);
    const nearZero = delays.filter((d) => Math.abs(d) <= 5).length / delays.length;
    expect(nearZero).toBeGreaterThan(0.65);
    expect(delays.filter((d) => d >= 180).length).toBeGreaterThan(20);
  });
});
