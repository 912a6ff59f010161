/**
 * The live progress line of `produce` (msg/s, total, ETA), redrawn in place on stderr, and only
 * when stderr is a terminal and the logs are text: a log collector or a pipe gets the log lines and
 * the PRODUCER_RESULT line, not a stream of carriage returns.
 */

import { type LogFormat } from './config.ts';

export interface ProgressSnapshot {
  /** Acknowledged events per second over the last interval. */
  readonly perSecond: number;
  readonly acked: number;
  readonly generated: number;
  /** Events asked for; 0 = unbounded (no percentage, no ETA). */
  readonly count: number;
  readonly inFlight: number;
  readonly elapsedMs: number;
}

/** Whether to draw the live line: stderr is a TTY and the log format is text. */
export function progressLineEnabled(stream: { readonly isTTY?: boolean }, logFormat: LogFormat): boolean {
  return stream.isTTY === true && logFormat === 'text';
}

/** h:mm:ss, or m:ss under an hour. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * One progress line, e.g.
 * `52,011 msg/s | 1,200,000/3,000,000 acked (40.0%) | in flight 3 | elapsed 0:23 | ETA 0:35`.
 * The ETA is (count - acked) / rate, shown once the rate is known; '--:--' before that.
 */
export function formatProgressLine(p: ProgressSnapshot): string {
  const parts = [`${number.format(p.perSecond)} msg/s`];
  if (p.count > 0) {
    parts.push(`${number.format(p.acked)}/${number.format(p.count)} acked (${((100 * p.acked) / p.count).toFixed(1)}%)`);
  } else {
    parts.push(`${number.format(p.acked)} acked`);
  }
  parts.push(`in flight ${p.inFlight}`, `elapsed ${formatDuration(p.elapsedMs / 1000)}`);
  if (p.count > 0) parts.push(`ETA ${p.perSecond > 0 ? formatDuration((p.count - p.acked) / p.perSecond) : '--:--'}`);
  return parts.join(' | ');
}

/** Draws the line in place: carriage return, the text, erase to the end of the line. */
export class LiveLine {
  #shown = false;
  constructor(private readonly out: { write(text: string): unknown }) {}

  draw(text: string): void {
    this.out.write(`\r${text}\x1b[K`);
    this.#shown = true;
  }

  /** Erases the line (before a log line, or at the end). */
  clear(): void {
    if (!this.#shown) return;
    this.out.write('\r\x1b[K');
    this.#shown = false;
  }
}
