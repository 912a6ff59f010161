import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgressLine, LiveLine, progressLineEnabled } from '../../producer/src/progress.ts';

describe('progress line', () => {
  it('is drawn only when stderr is a TTY and the logs are text', () => {
    expect(progressLineEnabled({ isTTY: true }, 'text')).toBe(true);
    expect(progressLineEnabled({ isTTY: false }, 'text')).toBe(false);
    expect(progressLineEnabled({}, 'text')).toBe(false); // a pipe or a file has no isTTY
    expect(progressLineEnabled({ isTTY: true }, 'json')).toBe(false);
  });

  it('shows msg/s, the acknowledged total against the count, in flight, elapsed time and the ETA', () => {
    // GIVEN 1.2 M of 3 M acknowledged at 50,000 msg/s after 23.4 s
    const line = formatProgressLine({ perSecond: 50_000.4, acked: 1_200_000, generated: 1_210_000, count: 3_000_000, inFlight: 3, elapsedMs: 23_400 });
    // THEN the ETA is (3 M - 1.2 M) / 50k = 36 s
    expect(line).toBe('50,000 msg/s | 1,200,000/3,000,000 acked (40.0%) | in flight 3 | elapsed 0:24 | ETA 0:36');
  });

  it('has no percentage or ETA without a count, and no ETA before the rate is known', () => {
    expect(formatProgressLine({ perSecond: 1234, acked: 99, generated: 100, count: 0, inFlight: 1, elapsedMs: 3_725_000 })).toBe(
      '1,234 msg/s | 99 acked | in flight 1 | elapsed 1:02:05',
    );
    expect(formatProgressLine({ perSecond: 0, acked: 0, generated: 0, count: 10, inFlight: 0, elapsedMs: 0 })).toBe(
      '0 msg/s | 0/10 acked (0.0%) | in flight 0 | elapsed 0:00 | ETA --:--',
    );
  });

  it('formats durations as m:ss or h:mm:ss, rounding up', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59.2)).toBe('1:00');
    expect(formatDuration(3599)).toBe('59:59');
    expect(formatDuration(3600)).toBe('1:00:00');
    expect(formatDuration(-5)).toBe('0:00');
  });

  it('redraws in place and erases itself before other output', () => {
    const written: string[] = [];
    const live = new LiveLine({ write: (text: string) => written.push(text) });
    live.clear(); // nothing shown yet: nothing written
    live.draw('a');
    live.draw('b');
    live.clear();
    live.clear();
    expect(written).toEqual(['\ra\x1b[K', '\rb\x1b[K', '\r\x1b[K']);
  });
});
