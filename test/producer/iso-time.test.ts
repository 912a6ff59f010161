import { describe, expect, it } from 'vitest';
import { ISO_UTC_BYTES, MAX_ISO_UTC_BYTES, writeIsoUtc } from '../../producer/src/iso-time.ts';
import { SeededRandom } from '../../producer/src/seeded-random.ts';

/** writeIsoUtc's bytes at an odd offset of a buffer filled with '#', and where it says it stopped. */
function written(ms: number): { text: string; end: number; untouched: boolean } {
  const buf = Buffer.alloc(64, '#');
  const end = writeIsoUtc(buf, 3, ms);
  return { text: buf.toString('latin1', 3, end), end, untouched: buf.subarray(0, 3).toString() === '###' && buf.subarray(end).every((b) => b === 0x23) };
}

describe('writeIsoUtc', () => {
  it('writes exactly the bytes of Date.prototype.toISOString across days, years and edge instants', () => {
    // GIVEN edge instants and 100,000 random ones, in increasing and in random order
    const edges = [0, -1, 1, 86_399_999, 86_400_000, 951_782_400_000, 4_102_444_800_000, 253_402_300_799_999, -62_167_219_200_000];
    const rng = new SeededRandom(11, 0);
    const random = Array.from({ length: 100_000 }, () => Math.floor(rng.uniform(-62_167_219_200_000, 253_402_300_799_999)));
    let t = Date.parse('2026-12-31T23:00:00Z');
    const increasing = Array.from({ length: 100_000 }, () => (t += Math.floor(rng.uniform(0, 500))));
    for (const ms of [...edges, ...random, ...increasing]) {
      // WHEN written / THEN identical to toISOString, 24 bytes, and nothing outside them touched
      const expected = new Date(ms).toISOString();
      const { text, end, untouched } = written(ms);
      if (text !== expected || end !== 3 + ISO_UTC_BYTES || !untouched) expect({ text, end, untouched }).toStrictEqual({ text: expected, end: 3 + ISO_UTC_BYTES, untouched: true });
    }
  });

  it('falls back to toISOString outside years 0000-9999 and for fractional ms, within MAX_ISO_UTC_BYTES', () => {
    for (const ms of [253_402_300_800_000, -62_167_219_200_001, 1.5, 8.64e15, -8.64e15]) {
      const { text, end, untouched } = written(ms);
      expect(text).toBe(new Date(ms).toISOString());
      expect(untouched).toBe(true);
      expect(end - 3).toBeLessThanOrEqual(MAX_ISO_UTC_BYTES);
    }
  });
});
