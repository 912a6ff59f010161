/**
 * The capacity plan's inputs: the target rate and the measured rates, kept in one committed file
 * (deploy/plan-inputs.json) with where each number came from.
 *
 * Nothing reads benchmark results behind the user's back. A benchmark reaches the plan only through
 * `npm run plan -- --update-from <bench/results/file.json>`, which rewrites the file with the rates
 * that benchmark measured (`updatePlanInputs`) and prints what changed, so a reading taken on a busy
 * machine never resizes a deployment without someone seeing it and committing it.
 */
import { type CapacityPlanInput, REQUIRED_PLAN_INPUTS } from './capacity-plan.ts';

/** The inputs and, for each one given, where its number came from. */
export interface PlanInputs {
  /** The file's `$comment`, kept when the file is rewritten. */
  readonly comment?: string;
  readonly inputs: CapacityPlanInput;
  /** Input name -> where its value came from (a benchmark file and field, or why an estimate). */
  readonly sources: Readonly<Record<string, string>>;
}

/** The optional model parameters the file may set too (see CapacityPlanInput). */
const OPTIONAL_INPUTS: readonly (keyof CapacityPlanInput)[] = [
  'headroom',
  'retentionHours',
  'replicationFactor',
  'topicReadsPerEvent',
  'triggerSeconds',
  'maxOffsetsFactor',
  'brokerUtilization',
  'mskBrokerType',
  'executorCores',
  'executorMemoryPerCoreMib',
  'producerCpuMillis',
  'producerMemoryMib',
  'producerNodeType',
  'sparkDriverNodeType',
  'sparkExecutorNodeType',
];
const INPUT_KEYS: readonly string[] = [...REQUIRED_PLAN_INPUTS, ...OPTIONAL_INPUTS];

/**
 * Reads the JSON text of a plan-inputs file. Values are range-checked by computeCapacityPlan, which
 * names the input; this checks the shape.
 * @throws Error naming `file`, the key and what was expected.
 */
export function parsePlanInputs(text: string, file: string): PlanInputs {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(document)) {
    throw new Error(`${file}: expected an object such as {"targetEventsPerHour": 1200000000, ...}, got ${JSON.stringify(document)}`);
  }
  const unknown = Object.keys(document).filter((key) => key !== '$comment' && key !== 'sources' && !INPUT_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new Error(`${file}: unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected the plan inputs ${INPUT_KEYS.join(', ')} (is one misspelt?)`);
  }
  const missing = REQUIRED_PLAN_INPUTS.filter((key) => document[key] === undefined);
  if (missing.length > 0) {
    throw new Error(`${file}: missing ${missing.join(', ')}; the plan has no default for a rate`);
  }
  const inputs = Object.fromEntries(Object.entries(document).filter(([key]) => INPUT_KEYS.includes(key))) as unknown as CapacityPlanInput;
  const sources = document['sources'] ?? {};
  if (!isObject(sources) || Object.entries(sources).some(([key, value]) => !INPUT_KEYS.includes(key) || typeof value !== 'string')) {
    throw new Error(`${file}: "sources" must map plan input names to text saying where each value came from, got ${JSON.stringify(sources)}`);
  }
  const comment = document['$comment'];
  return { ...(typeof comment === 'string' ? { comment } : {}), inputs, sources: sources as Record<string, string> };
}

/** The file's text for `planInputs`: what `--update-from` writes. */
export function formatPlanInputs(planInputs: PlanInputs): string {
  const comment = planInputs.comment === undefined ? {} : { $comment: planInputs.comment };
  return `${JSON.stringify({ ...comment, ...planInputs.inputs, sources: planInputs.sources }, undefined, 2)}\n`;
}

/** Rates a benchmark result file measured, with their sources, and notes for whoever applies them. */
export interface MeasuredRates {
  readonly rates: Partial<Pick<CapacityPlanInput, 'producerEventsPerSecondPerPod' | 'sparkEventsPerSecondPerCore' | 'averageEventBytes'>>;
  readonly sources: Readonly<Record<string, string>>;
  /** E.g. that the machine was loaded when it was measured. */
  readonly notes: readonly string[];
}

/**
 * The rates in a result file of `make bench-producer` (bench/producer_bench.py: `"benchmark":
 * "producer"`) or `make bench-spark` (bench/spark_bench.py: `"benchmark": "spark"`). Each layout is
 * read by its field names; anything else is an error, never a guess.
 * - producer: the `runs` row {client "flight-producer", workers 1, compression "none"} gives
 *   `msgs_per_sec` (one pod runs one worker, uncompressed by default), and `record_bytes` the event size;
 * - spark: `events_per_sec_per_core`, our job's steady-state median per core.
 * @throws Error naming `file` and the field that is missing or wrong.
 */
export function measuredRates(document: unknown, file: string): MeasuredRates {
  const kind = isObject(document) ? document['benchmark'] : undefined;
  if (!isObject(document) || (kind !== 'producer' && kind !== 'spark')) {
    throw new Error(
      `${file}: expected a result of make bench-producer or make bench-spark ("benchmark": "producer" or "spark"), got "benchmark": ${JSON.stringify(kind) ?? 'nothing'}`,
    );
  }
  const load = loadNote(document, file);
  if (kind === 'producer') {
    const runs = Array.isArray(document['runs']) ? document['runs'] : [];
    const row = runs.findIndex((r) => isObject(r) && r['client'] === 'flight-producer' && r['workers'] === 1 && r['compression'] === 'none');
    const rate = row >= 0 ? (runs[row] as Record<string, unknown>)['msgs_per_sec'] : undefined;
    if (!isPositive(rate)) {
      throw new Error(`${file}: no "runs" row {"client": "flight-producer", "workers": 1, "compression": "none"} with "msgs_per_sec" > 0`);
    }
    const bytes = document['record_bytes'];
    if (!isPositive(bytes)) {
      throw new Error(`${file}: "record_bytes" (mean bytes of an event) must be a number > 0, got ${JSON.stringify(bytes)}`);
    }
    const when = String(document['started_utc'] ?? 'undated');
    return {
      rates: { producerEventsPerSecondPerPod: rate, averageEventBytes: bytes },
      sources: {
        producerEventsPerSecondPerPod: `${file} (${when}): runs[${row}].msgs_per_sec, flight-producer, 1 worker, no compression${load.suffix}`,
        averageEventBytes: `${file} (${when}): record_bytes`,
      },
      notes: load.notes,
    };
  }
  const perCore = document['events_per_sec_per_core'];
  if (!isPositive(perCore)) {
    throw new Error(`${file}: "events_per_sec_per_core" (our job's steady-state median per core) must be a number > 0, got ${JSON.stringify(perCore)}`);
  }
  const when = String(document['date'] ?? 'undated');
  return {
    rates: { sparkEventsPerSecondPerCore: perCore },
    sources: { sparkEventsPerSecondPerCore: `${file} (${when}): events_per_sec_per_core${load.suffix}` },
    notes: load.notes,
  };
}

/** `current` with `measured`'s rates and sources over it. */
export function updatePlanInputs(current: PlanInputs, measured: MeasuredRates): PlanInputs {
  return { ...current, inputs: { ...current.inputs, ...measured.rates }, sources: { ...current.sources, ...measured.sources } };
}

/** The machine's load when the benchmark started, as both result layouts record it. */
function loadNote(document: Record<string, unknown>, file: string): { suffix: string; notes: string[] } {
  const machine = isObject(document['machine']) ? document['machine'] : {};
  const before = machine['load_before_start'] ?? (Array.isArray(machine['load_avg_before']) ? machine['load_avg_before'][0] : undefined);
  const cores = machine['cpu_count'] ?? machine['cores'];
  if (typeof before !== 'number') return { suffix: '', notes: [] };
  const suffix = `; load ${before} before the start`;
  const busy = typeof cores === 'number' && before > cores;
  return {
    suffix,
    notes: busy ? [`${file}: the load average was ${before} on ${cores} cores when it started: the rates are low, and so the fleet it sizes is large`] : [],
  };
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
