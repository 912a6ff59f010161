/**
 * `new Date(ms).toISOString()` without the Date: the hot path formats three timestamps an event,
 * and a simulator's event times are non-decreasing, so the day prefix ("2026-01-01T") is cached and
 * only hours, minutes, seconds and milliseconds are rebuilt from lookup tables.
 * Output is identical to toISOString() for every integer ms in years 0000-9999 (tested).
 */

const DAY_MS = 86_400_000;
const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: outside them toISOString() widens the year. */
const MIN_FAST_MS = -62_167_219_200_000;
const MAX_FAST_MS = 253_402_300_799_999;

let cachedDayStartMs = Number.NaN;
let cachedDayPrefix = '';

/** ISO-8601 UTC with milliseconds, exactly as Date.prototype.toISOString formats it. */
export function isoUtc(ms: number): string {
  if (!Number.isInteger(ms) || ms < MIN_FAST_MS || ms > MAX_FAST_MS) return new Date(ms).toISOString();
  let intoDayMs = ms - cachedDayStartMs;
  if (!(intoDayMs >= 0 && intoDayMs < DAY_MS)) {
    cachedDayStartMs = Math.floor(ms / DAY_MS) * DAY_MS;
    cachedDayPrefix = new Date(cachedDayStartMs).toISOString().slice(0, 11);
    intoDayMs = ms - cachedDayStartMs;
  }
  const seconds = Math.floor(intoDayMs / 1000);
  const minutes = Math.floor(seconds / 60);
  return (
    cachedDayPrefix +
    (TWO_DIGITS[Math.floor(minutes / 60)] as string) +
    ':' +
    (TWO_DIGITS[minutes % 60] as string) +
    ':' +
    (TWO_DIGITS[seconds % 60] as string) +
    '.' +
    (THREE_DIGITS[intoDayMs % 1000] as string) +
    'Z'
  );
}
