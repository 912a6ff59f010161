/**
 * Measured rates for the capacity plan, read from the benchmark results in bench/results/.
 *
 * The benchmark files are written by `make bench-producer` (bench/results/producer.json, the layout
 * of issue #3: {"record_bytes": N, "runs": [{"client", "workers", "msgs_per_sec", ...}]}; older runs
 * wrote dated producer-*.json files) and `make bench-spark` (spark-*.json). producer.json is read
 * first: the flight-producer run with one worker (one pod) and no compression. Without it, the
 * dated files are read defensively: the first numeric field found among a few known names wins,
 * and a file without one is ignored (with a note saying so).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Field names tried, in order, for one producer pod's sustained events/s. */
export const PRODUCER_RATE_KEYS = ['median_msgs_per_sec', 'msgs_per_sec', 'median_events_per_sec', 'events_per_sec'] as const;
/** Field names tried, in order, for one Spark core's events/s. */
export const SPARK_RATE_KEYS = ['median_rows_per_sec_per_core', 'events_per_sec_per_core', 'median_rows_per_sec', 'median_events_per_sec', 'rows_per_sec'] as const;
/** Field names tried for a count of cores, to turn a whole-job rate into a per-core one. */
const SPARK_CORES_KEYS = ['cores', 'spark_cores', 'executor_cores', 'local_cores'] as const;

export interface MeasuredRate {
  readonly value: number;
  /** File and field it came from, e.g. 'bench/results/producer-2026-11-24.json: median_msgs_per_sec'. */
  readonly source: string;
}

/** Field names tried for the mean size of one event on the wire, bytes. */
export const EVENT_BYTES_KEYS = ['mean_bytes', 'average_event_bytes', 'mean_record_bytes', 'record_bytes'] as const;
/** The file `make bench-producer` writes, read before any dated producer-*.json. */
export const PRODUCER_RESULTS_FILE = 'producer.json';

export interface BenchRates {
  readonly producerEventsPerSecondPerPod?: MeasuredRate;
  readonly sparkEventsPerSecondPerCore?: MeasuredRate;
  /** Mean event size measured by the producer benchmark. */
  readonly averageEventBytes?: MeasuredRate;
  /** Files that were present but gave no usable rate, and why. */
  readonly notes: readonly string[];
}

/** Reads the newest (by name) producer-*.json and spark-*.json in `resultsDir`; missing dir = no rates. */
export function measuredPlanInput(resultsDir: string): {
  producerEventsPerSecondPerPod?: number;
  sparkEventsPerSecondPerCore?: number;
  averageEventBytes?: number;
} {
  const rates = readBenchRates(resultsDir);
  return {
    producerEventsPerSecondPerPod: rates.producerEventsPerSecondPerPod?.value,
    sparkEventsPerSecondPerCore: rates.sparkEventsPerSecondPerCore?.value,
    averageEventBytes: rates.averageEventBytes?.value,
  };
}

/**
 * Reads bench/results/producer.json (else the newest dated producer-*.json) and the newest spark-*.json
 * in `resultsDir`; missing dir = no rates.
 */
export function readBenchRates(resultsDir: string): BenchRates {
  const notes: string[] = [];
  if (!existsSync(resultsDir)) return { notes };
  const files = readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort().reverse();
  const datedProducerFiles = files.filter((f) => f.startsWith('producer') && f !== PRODUCER_RESULTS_FILE);
  const current = files.includes(PRODUCER_RESULTS_FILE) ? producerResults(resultsDir, notes) : {};
  const producer = current.rate ?? firstRate(resultsDir, datedProducerFiles, PRODUCER_RATE_KEYS, [], notes);
  const spark = firstRate(resultsDir, files.filter((f) => f.startsWith('spark')), SPARK_RATE_KEYS, SPARK_CORES_KEYS, notes);
  const eventBytes = current.eventBytes ?? firstRate(resultsDir, datedProducerFiles, EVENT_BYTES_KEYS, [], []);
  return {
    ...(producer ? { producerEventsPerSecondPerPod: producer } : {}),
    ...(spark ? { sparkEventsPerSecondPerCore: spark } : {}),
    ...(eventBytes ? { averageEventBytes: eventBytes } : {}),
    notes,
  };
}

/**
 * Finds the first positive number under one of `keys`: at the top level, one object level down, or
 * in a row of a top-level array (e.g. `medians: [{client, compression, workers, msgs_per_sec}]`).
 * Of the rows, only our own client's are used (`client` absent or naming flight-*), with one worker
 * (one producer pod) and no compression (the chart's default) when the row says.
 */
export function findRate(document: unknown, keys: readonly string[]): { key: string; value: number; row?: string } | undefined {
  const candidates: Record<string, unknown>[] = [];
  if (isObject(document)) {
    candidates.push(document);
    for (const child of Object.values(document)) if (isObject(child)) candidates.push(child);
    for (const [field, child] of Object.entries(document)) {
      if (!Array.isArray(child) || field === 'runs') continue;
      for (const row of child) if (isObject(row) && isOurSingleWorkerRow(row)) candidates.push(row);
    }
  }
  for (const key of keys) {
    for (const candidate of candidates) {
      const value = candidate[key];
      if (typeof value === 'number' && Number.isFinite(value) && value > 0) return { key, value };
    }
  }
  return undefined;
}

/**
 * producer.json as bench/producer_bench.py writes it: `record_bytes` (mean bytes of an event) and
 * `runs`, one median row per client and setting; the per-pod rate is the flight-producer row with
 * workers 1 and compression none (or no compression field).
 */
function producerResults(dir: string, notes: string[]): { rate?: MeasuredRate; eventBytes?: MeasuredRate } {
  const path = relative(process.cwd(), join(dir, PRODUCER_RESULTS_FILE)) || join(dir, PRODUCER_RESULTS_FILE);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    notes.push(`${path}: not JSON (${(error as Error).message}), ignored`);
    return {};
  }
  const result: { rate?: MeasuredRate; eventBytes?: MeasuredRate } = {};
  const runs = isObject(document) && Array.isArray(document['runs']) ? document['runs'] : [];
  const row = runs.findIndex(
    (r) => isObject(r) && r['client'] === 'flight-producer' && r['workers'] === 1 && (r['compression'] ?? 'none') === 'none',
  );
  const value = row >= 0 ? (runs[row] as Record<string, unknown>)['msgs_per_sec'] : undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    result.rate = { value, source: `${path}: runs[${row}].msgs_per_sec (flight-producer, 1 worker, no compression)` };
  } else {
    notes.push(`${path}: no "runs" row {client: "flight-producer", workers: 1, compression: "none"} with msgs_per_sec > 0, ignored`);
  }
  const bytes = isObject(document) ? document['record_bytes'] : undefined;
  if (typeof bytes === 'number' && Number.isFinite(bytes) && bytes > 0) result.eventBytes = { value: bytes, source: `${path}: record_bytes` };
  return result;
}

function firstRate(
  dir: string,
  files: readonly string[],
  keys: readonly string[],
  coresKeys: readonly string[],
  notes: string[],
): MeasuredRate | undefined {
  for (const file of files) {
    const path = relative(process.cwd(), join(dir, file)) || join(dir, file);
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      notes.push(`${path}: not JSON (${(error as Error).message}), ignored`);
      continue;
    }
    const rate = findRate(document, keys);
    if (!rate) {
      notes.push(`${path}: none of ${keys.join(', ')} is a number > 0, ignored`);
      continue;
    }
    // A whole-job Spark rate is divided by its cores when the file says how many there were.
    const cores = rate.key.endsWith('_per_core') ? undefined : findRate(document, coresKeys);
    if (cores) {
      return { value: rate.value / cores.value, source: `${path}: ${rate.key} / ${cores.key}` };
    }
    return { value: rate.value, source: `${path}: ${rate.key}` };
  }
  return undefined;
}

function isOurSingleWorkerRow(row: Record<string, unknown>): boolean {
  const client = row['client'] ?? row['job'];
  if (client !== undefined && !(typeof client === 'string' && /flight/i.test(client))) return false;
  if (row['workers'] !== undefined && row['workers'] !== 1) return false;
  if (row['compression'] !== undefined && row['compression'] !== 'none') return false;
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
