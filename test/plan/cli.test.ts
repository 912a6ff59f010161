import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRate, readBenchRates } from '../../lib/plan/bench-rates.ts';
import { main, parseRate } from '../../lib/plan/cli.ts';

function benchDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('plan CLI', () => {
  it.each<[string, number]>([
    ['1.2e9/h', 1.2e9],
    ['1.2e9', 1.2e9],
    ['333333/s', 333333 * 3600],
  ])('parses --rate %s as events per hour', (text, perHour) => {
    expect(parseRate(text)).toBe(perHour);
  });

  it.each(['0/h', '-1/h', 'fast', '1e9/day'])('rejects --rate %s naming the flag and value', (text) => {
    expect(() => parseRate(text)).toThrow(`--rate: expected a number > 0 with an optional /h or /s unit (e.g. 1.2e9/h), got "${text}"`);
  });

  it('prints a table with the binding limit of each size and where the rates came from', () => {
    const out = main(['--rate', '1.2e9/h', '--bench-dir', benchDir({})]);
    expect(out).toMatch(/producer replicas\s+15\s+throughput: /);
    expect(out).toMatch(/MSK brokers\s+6\s+storage throughput: /);
    expect(out).toContain('producer ev/s per pod: documented default');
  });

  it('takes measured rates from bench/results, newest file first, ignoring files without a known key', () => {
    // GIVEN a producer result, an older one, a Spark result with a whole-job rate and its cores, and a file of another shape
    const dir = benchDir({
      'producer-2026-11-24.json': JSON.stringify({ summary: { median_msgs_per_sec: 60_000 } }),
      'producer-2026-11-01.json': JSON.stringify({ median_msgs_per_sec: 1 }),
      'spark-2026-11-24.json': JSON.stringify({ median_rows_per_sec: 10_000, cores: 2 }),
      'spark-2026-11-25.json': JSON.stringify({ something_else: 3 }),
    });
    // WHEN they are read
    const rates = readBenchRates(dir);
    // THEN the newest usable ones are used, the Spark rate per core
    expect(rates.producerEventsPerSecondPerPod?.value).toBe(60_000);
    expect(rates.sparkEventsPerSecondPerCore?.value).toBe(5_000);
    expect(rates.notes.join('\n')).toContain('spark-2026-11-25.json: none of');
    const plan = JSON.parse(main(['--json', '--bench-dir', dir]));
    expect(plan.producer.replicas.value).toBe(9);
  });

  it('reads the producer benchmark\'s medians table: our client, one worker, no compression', () => {
    // GIVEN the layout bench/producer_bench.py writes
    const dir = benchDir({
      'producer-2026-11-24.json': JSON.stringify({
        record_bytes: { mean_bytes: 594.8 },
        medians: [
          { client: 'flight-producer', compression: 'none', workers: 2, msgs_per_sec: 15_801 },
          { client: 'kafka-producer-perf-test', compression: 'none', workers: 1, msgs_per_sec: 66_964 },
          { client: 'flight-producer', compression: 'lz4', workers: 1, msgs_per_sec: 33_174 },
          { client: 'flight-producer', compression: 'none', workers: 1, msgs_per_sec: 17_719 },
        ],
        runs: [{ client: 'flight-producer', compression: 'none', workers: 1, msgs_per_sec: 10_728 }],
      }),
    });
    // WHEN the rates are read
    const rates = readBenchRates(dir);
    // THEN the one-worker, uncompressed median of our producer is the per-pod rate
    expect(rates.producerEventsPerSecondPerPod?.value).toBe(17_719);
    expect(rates.averageEventBytes?.value).toBe(594.8);
  });

  it('reads bench/results/producer.json first: the flight-producer run with one worker and no compression, and record_bytes', () => {
    // GIVEN producer.json in the layout of issue #3 next to an older dated file with another rate
    const dir = benchDir({
      'producer.json': JSON.stringify({
        record_bytes: 594.8,
        runs: [
          { client: 'flight-producer', workers: 2, msgs_per_sec: 90_000, mb_per_sec: 51, p99_ms: 80, compression: 'none' },
          { client: 'flight-producer', workers: 1, msgs_per_sec: 70_000, mb_per_sec: 40, p99_ms: 60, compression: 'lz4' },
          { client: 'flight-producer', workers: 1, msgs_per_sec: 81_234.5, mb_per_sec: 46, p99_ms: 50, compression: 'none' },
          { client: 'kafka-producer-perf-test', workers: 1, msgs_per_sec: 100_000, mb_per_sec: 57, p99_ms: 400, compression: 'none' },
        ],
      }),
      'producer-2026-11-24.json': JSON.stringify({ record_bytes: { mean_bytes: 1 }, medians: [{ client: 'flight-producer', compression: 'none', workers: 1, msgs_per_sec: 17_719 }] }),
    });
    // WHEN the rates are read
    const rates = readBenchRates(dir);
    // THEN the one-worker uncompressed run of producer.json is the per-pod rate, and its record_bytes the event size
    expect(rates.producerEventsPerSecondPerPod?.value).toBe(81_234.5);
    expect(rates.producerEventsPerSecondPerPod?.source).toMatch(/producer\.json: runs\[2\]\.msgs_per_sec/);
    expect(rates.averageEventBytes?.value).toBe(594.8);
    // AND the plan uses it
    const plan = JSON.parse(main(['--json', '--bench-dir', dir]));
    expect(plan.producer.replicas.value).toBeGreaterThan(0);
  });

  it('falls back to the dated files, with a note, when producer.json has no usable run', () => {
    const dir = benchDir({
      'producer.json': JSON.stringify({ record_bytes: 600, runs: [{ client: 'kafka-python', workers: 1, msgs_per_sec: 9_000 }] }),
      'producer-2026-11-24.json': JSON.stringify({ medians: [{ client: 'flight-producer', compression: 'none', workers: 1, msgs_per_sec: 17_719 }] }),
    });
    const rates = readBenchRates(dir);
    expect(rates.producerEventsPerSecondPerPod?.value).toBe(17_719);
    expect(rates.averageEventBytes?.value).toBe(600);
    expect(rates.notes.join('\n')).toMatch(/producer\.json: no "runs" row/);
  });

  it('finds a rate at the top level or one level down, and only a positive number', () => {
    expect(findRate({ a: { msgs_per_sec: 5 } }, ['msgs_per_sec'])).toStrictEqual({ key: 'msgs_per_sec', value: 5 });
    expect(findRate({ msgs_per_sec: '5' }, ['msgs_per_sec'])).toBeUndefined();
    expect(findRate([1, 2], ['msgs_per_sec'])).toBeUndefined();
  });
});
