import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAN_INPUTS_FILE, readPlanInputs } from '../../deploy/deployment.ts';
import { main, parseRate } from '../../deploy/plan/cli.ts';
import { parsePlanInputs } from '../../deploy/plan/inputs.ts';
import { TEST_PLAN_INPUTS } from './fixtures.ts';

/** A plan-inputs file with TEST_PLAN_INPUTS, in a fresh directory, and that directory. */
function inputsFile(extra: Record<string, unknown> = {}): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'plan-inputs-'));
  const file = join(dir, 'plan-inputs.json');
  writeFileSync(
    file,
    JSON.stringify({ $comment: 'test inputs', ...TEST_PLAN_INPUTS, sources: { producerEventsPerSecondPerPod: 'an estimate' }, ...extra }, undefined, 2),
  );
  return { file, dir };
}

/** A benchmark result file in `dir`. */
function resultFile(dir: string, name: string, document: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(document));
  return file;
}

/** The layout bench/producer_bench.py writes, reduced to what the plan reads. */
const PRODUCER_RESULT = {
  benchmark: 'producer',
  started_utc: '2026-11-25T02:01:03+00:00',
  record_bytes: 594.8,
  machine: { cpu_count: 2, load_avg_before: [0.5, 0.4, 0.3] },
  runs: [
    { client: 'flight-producer', workers: 2, compression: 'none', msgs_per_sec: 90_000 },
    { client: 'flight-producer', workers: 1, compression: 'lz4', msgs_per_sec: 70_000 },
    { client: 'flight-producer', workers: 1, compression: 'none', msgs_per_sec: 20_000 },
    { client: 'kafka-producer-perf-test', workers: 1, compression: 'none', msgs_per_sec: 100_000 },
  ],
};

describe('npm run plan', () => {
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

  it('prints the plan of the inputs file, with the limit behind each size and where each input came from', () => {
    // GIVEN an inputs file
    const { file } = inputsFile();
    // WHEN the plan is printed
    const out = main(['--inputs', file]);
    // THEN the sizes are its plan's, and the sources are the file's
    expect(out).toMatch(/producer replicas\s+15\s+throughput: /);
    expect(out).toMatch(/MSK brokers\s+6\s+storage throughput: /);
    expect(out).toContain('(what cdk synth and cdk8s synth deploy)');
    expect(out).toContain('producerEventsPerSecondPerPod: an estimate');
  });

  it('prints a what-if plan for a flag and says the file still decides what is deployed', () => {
    const { file } = inputsFile();
    const out = main(['--inputs', file, '--producer-rate', '20000']);
    expect(out).toMatch(/producer replicas\s+27\s+/);
    expect(out).toContain('what-if producerEventsPerSecondPerPod from the command line (cdk synth and cdk8s synth use the file)');
    expect(readPlanInputs(file).inputs.producerEventsPerSecondPerPod).toBe(40_000);
  });

  it('--update-from a producer benchmark rewrites the inputs with its rates and prints what the plan changes', () => {
    // GIVEN the inputs file and a producer benchmark result
    const { file, dir } = inputsFile();
    const result = resultFile(dir, 'producer.json', PRODUCER_RESULT);
    // WHEN its rates are taken
    const out = main(['--inputs', file, '--update-from', result]);
    // THEN the one-worker, uncompressed flight-producer run is the per-pod rate, and record_bytes the event size
    const updated = readPlanInputs(file);
    expect(updated.inputs).toStrictEqual({ ...TEST_PLAN_INPUTS, producerEventsPerSecondPerPod: 20_000, averageEventBytes: 594.8 });
    expect(updated.sources['producerEventsPerSecondPerPod']).toMatch(/producer\.json \(2026-11-25T02:01:03\+00:00\): runs\[2\]\.msgs_per_sec, flight-producer, 1 worker, no compression; load 0\.5/);
    expect(updated.comment).toBe('test inputs');
    // AND the output names the changed inputs and sizes
    expect(out).toContain('producerEventsPerSecondPerPod: 40000 -> 20000');
    expect(out).toContain('producer replicas: 15 -> 27');
    expect(out).not.toContain('note:');
  });

  it('--update-from a Spark benchmark takes its per-core rate, and notes a loaded machine', () => {
    const { file, dir } = inputsFile();
    const result = resultFile(dir, 'spark.json', {
      benchmark: 'spark',
      date: '2026-12-06T05:44:44+00:00',
      machine: { cores: 2, load_before_start: 7.5 },
      events_per_sec_per_core: 12_452.9,
    });
    const out = main(['--inputs', file, '--update-from', result]);
    expect(readPlanInputs(file).inputs.sparkEventsPerSecondPerCore).toBe(12_452.9);
    expect(out).toContain('spark executors: 32 x 4 cores -> 11 x 4 cores');
    expect(out).toContain('note: ');
    expect(out).toContain('the load average was 7.5 on 2 cores');
  });

  it.each<[string, unknown, string]>([
    ['another layout', { median_msgs_per_sec: 60_000 }, 'expected a result of make bench-producer or make bench-spark ("benchmark": "producer" or "spark"), got "benchmark": nothing'],
    ['no usable producer run', { ...PRODUCER_RESULT, runs: [{ client: 'kafka-python', workers: 1, compression: 'none', msgs_per_sec: 9_000 }] }, 'no "runs" row {"client": "flight-producer", "workers": 1, "compression": "none"} with "msgs_per_sec" > 0'],
    ['no per-core Spark rate', { benchmark: 'spark', events_per_sec_per_core: null }, '"events_per_sec_per_core" (our job\'s steady-state median per core) must be a number > 0, got null'],
  ])('--update-from refuses %s, naming the file, and leaves the inputs alone', (_case, document, message) => {
    const { file, dir } = inputsFile();
    const before = readFileSync(file, 'utf8');
    const result = resultFile(dir, 'result.json', document);
    expect(() => main(['--inputs', file, '--update-from', result])).toThrow(message);
    expect(() => main(['--inputs', file, '--update-from', result])).toThrow('result.json');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('--update-from does not mix with what-if flags', () => {
    const { file, dir } = inputsFile();
    const result = resultFile(dir, 'producer.json', PRODUCER_RESULT);
    expect(() => main(['--inputs', file, '--update-from', result, '--rate', '1e9'])).toThrow('--update-from: takes only result files');
  });
});

describe('plan inputs file', () => {
  it('the committed deploy/plan-inputs.json gives a plan, with a source for every rate', () => {
    // GIVEN the committed inputs WHEN they are read THEN every rate says where it came from
    const committed = readPlanInputs(PLAN_INPUTS_FILE);
    for (const rate of ['targetEventsPerHour', 'producerEventsPerSecondPerPod', 'sparkEventsPerSecondPerCore', 'averageEventBytes']) {
      expect(committed.sources[rate], rate).toBeTruthy();
    }
    expect(main([])).toMatch(/producer replicas\s+\d+\s+throughput: /);
  });

  it.each<[string, string]>([
    [JSON.stringify({ ...TEST_PLAN_INPUTS, targetEventPerHour: 5 }), 'plan-inputs.json: unknown key(s) "targetEventPerHour"; expected the plan inputs targetEventsPerHour'],
    [JSON.stringify({ targetEventsPerHour: 1e9 }), 'plan-inputs.json: missing producerEventsPerSecondPerPod, sparkEventsPerSecondPerCore, averageEventBytes; the plan has no default for a rate'],
    [JSON.stringify({ ...TEST_PLAN_INPUTS, sources: { targetEventsPerHour: 7 } }), 'plan-inputs.json: "sources" must map plan input names to text'],
    ['{', 'plan-inputs.json: not valid JSON'],
  ])('names the file and the problem for %s', (text, message) => {
    expect(() => parsePlanInputs(text, 'plan-inputs.json')).toThrow(message);
  });

  it('an out-of-range rate is reported with the file it came from', () => {
    const { file } = inputsFile({ sparkEventsPerSecondPerCore: -1 });
    expect(() => main(['--inputs', file])).toThrow(/plan-inputs\.json: sparkEventsPerSecondPerCore: expected a number > 0, got -1/);
  });
});
