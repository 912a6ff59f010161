/**
 * The producer's log lines on stderr: readable `[producer] ...` text by default (what a person at
 * a terminal and the local pipeline read), or one pino JSON object per line (`--log-format json`,
 * for Kubernetes log collectors). stdout stays reserved for the PRODUCER_RESULT line.
 */

import { pino } from 'pino';
import { type LogFormat } from './config.ts';

export type Log = (line: string) => void;

/** A logger; lines starting with "error" are logged at error level, the rest at info. */
export function createLog(format: LogFormat, bindings: Record<string, string | number> = {}): Log {
  if (format === 'text') {
    const prefix = Object.entries(bindings).map(([k, v]) => `${k} ${v}: `).join('');
    return (line) => process.stderr.write(`[producer] ${prefix}${line}\n`);
  }
  // Synchronous writes: a log line must not be lost when the process exits right after it.
  const logger = pino({ base: { service: 'flight-producer', ...bindings } }, pino.destination({ dest: 2, sync: true }));
  return (line) => (/^error\b/.test(line) ? logger.error(line) : logger.info(line));
}
