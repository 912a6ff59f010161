/**
 * `new Date(ms).toISOString()` written as ASCII bytes into a Buffer, without a Date or a string:
 * the event writer (encode.ts) formats one timestamp an event, and a simulator's event times are
 * non-decreasing, so the day prefix ("2026-01-01T") is cached as bytes and only hours, minutes,
 * seconds and milliseconds are written digit by digit.
 * Output is identical to toISOString() for every ms (tested); years 0000-9999 take the fast path.
 */

const DAY_MS = 86_400_000;
/** Bytes of "YYYY-MM-DDT". */
const DAY_PREFIX_BYTES = 11;
/** Bytes of toISOString() for years 0000-9999: "YYYY-MM-DDTHH:MM:SS.mmmZ". */
export const ISO_UTC_BYTES = 24;
/** Most bytes writeIsoUtc writes: toISOString() of a six-digit signed year, "+275760-09-13T00:00:00.000Z". */
export const MAX_ISO_UTC_BYTES = 27;
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: outside them toISOString() widens the year. */
const MIN_FAST_MS = -62_167_219_200_000;
const MAX_FAST_MS = 253_402_300_799_999;
const ZERO = 0x30;

let cachedDayStartMs = Number.NaN;
const cachedDayPrefix = Buffer.alloc(DAY_PREFIX_BYTES);

/**
 * Writes `ms` as ISO-8601 UTC with milliseconds, exactly as Date.prototype.toISOString formats it,
 * at `pos`; returns the position after it. `buf` needs MAX_ISO_UTC_BYTES of room.
 */
export function writeIsoUtc(buf: Buffer, pos: number, ms: number): number {
  if (!Number.isInteger(ms) || ms < MIN_FAST_MS || ms > MAX_FAST_MS) {
    return pos + buf.write(new Date(ms).toISOString(), pos, 'latin1');
  }
  let intoDayMs = ms - cachedDayStartMs;
  if (!(intoDayMs >= 0 && intoDayMs < DAY_MS)) {
    cachedDayStartMs = Math.floor(ms / DAY_MS) * DAY_MS;
    cachedDayPrefix.write(new Date(cachedDayStartMs).toISOString(), 0, DAY_PREFIX_BYTES, 'latin1');
    intoDayMs = ms - cachedDayStartMs;
  }
  buf.set(cachedDayPrefix, pos);
  // Integer arithmetic from here (a day's ms fit an int32): `%` on a double is a library call.
  const dayMs = intoDayMs | 0;
  const seconds = (dayMs / 1000) | 0;
  const millis = dayMs - seconds * 1000;
  const minutes = (seconds / 60) | 0;
  const second = seconds - minutes * 60;
  const hour = (minutes / 60) | 0;
  const minute = minutes - hour * 60;
  let p = pos + DAY_PREFIX_BYTES;
  p = twoDigits(buf, p, hour);
  buf[p++] = 0x3a; // ':'
  p = twoDigits(buf, p, minute);
  buf[p++] = 0x3a;
  p = twoDigits(buf, p, second);
  buf[p++] = 0x2e; // '.'
  const tenths = (millis / 100) | 0;
  buf[p++] = ZERO + tenths;
  p = twoDigits(buf, p, millis - tenths * 100);
  buf[p++] = 0x5a; // 'Z'
  return p;
}

function twoDigits(buf: Buffer, pos: number, n: number): number {
  const tens = (n / 10) | 0;
  buf[pos] = ZERO + tens;
  buf[pos + 1] = ZERO + n - tens * 10;
  return pos + 2;
}
