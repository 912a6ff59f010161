import { describe, expect, it } from 'vitest';
import { isoUtc } from '../../producer/src/iso-time.ts';
import { SeededRandom } from '../../producer/src/seeded-random.ts';

describe('isoUtc', () => {
  it('formats exactly like Date.prototype.toISOString across days, years and edge instants', () => {
    // GIVEN edge instants and 100,000 random ones, in increasing and in random order
    const edges = [0, -1, 1, 86_399_999, 86_400_000, 951_782_400_000, 4_102_444_800_000, 253_402_300_799_999, -62_167_219_200_000];
    const rng = new SeededRandom(11, 0);
    const random = Array.from({ length: 100_000 }, () => Math.floor(rng.uniform(-62_167_219_200_000, 253_402_300_799_999)));
    let t = Date.parse('2026-12-31T23:00:00Z');
    const increasing = Array.from({ length: 100_000 }, () => (t += Math.floor(rng.uniform(0, 500))));
    for (const ms of [...edges, ...random, ...increasing]) {
      // WHEN formatted / THEN identical to toISOString
      const expected = new Date(ms).toISOString();
      if (isoUtc(ms) !== expected) expect(isoUtc(ms)).toBe(expected);
    }
  });

  it('falls back to toISOString outside years 0000-9999 and for fractional ms', () => {
    for (const ms of [253_402_300_800_000, -62_167_219_200_001, 1.5, 8.64e15]) expect(isoUtc(ms)).toBe(new Date(ms).toISOString());
  });
});
