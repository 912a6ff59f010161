/**
 * `npm run plan -- --rate 1.2e9/h`: prints the capacity plan as a table with the limit behind each size.
 *
 * Options (all optional):
 *   --rate N[/h|/s]          target event rate; a bare number is per hour (default 1.2e9/h)
 *   --headroom X             multiplier the fleets are sized for (default 1.5)
 *   --producer-rate N        events/s per producer pod (default: bench/results/producer.json, else 40000)
 *   --spark-rate N           events/s per Spark executor core (default: bench/results/spark-*.json, else 4000)
 *   --event-bytes N          mean event size in bytes (default 610)
 *   --retention-hours N      Kafka retention (default 24)
 *   --trigger-s N            Spark micro-batch interval (default 10)
 *   --msk-broker-type T      force a kafka.m7g.* broker type
 *   --bench-dir DIR          where benchmark results are read from (default bench/results)
 *   --json                   print the plan as JSON instead of a table
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readBenchRates } from './bench-rates.ts';
import { type CapacityPlanInput, computeCapacityPlan } from './capacity-plan.ts';
import { formatCapacityPlan } from './format.ts';

/** Parses '1.2e9/h', '333333/s' or '1.2e9' (per hour) into events per hour. */
export function parseRate(text: string): number {
  const match = /^\s*([0-9.eE+-]+)\s*(\/\s*(h|hour|s|sec|second))?\s*$/.exec(text);
  const value = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isFinite(value) || value <= 0) {
    throw new Error(`--rate: expected a number > 0 with an optional /h or /s unit (e.g. 1.2e9/h), got ${JSON.stringify(text)}`);
  }
  const unit = match[3] ?? 'h';
  return unit.startsWith('s') ? value * 3600 : value;
}

function numberFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`--${name}: expected a number, got ${JSON.stringify(text)}`);
  return value;
}

export function main(argv: readonly string[]): string {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rate: { type: 'string' },
      headroom: { type: 'string' },
      'producer-rate': { type: 'string' },
      'spark-rate': { type: 'string' },
      'event-bytes': { type: 'string' },
      'retention-hours': { type: 'string' },
      'trigger-s': { type: 'string' },
      'msk-broker-type': { type: 'string' },
      'bench-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const benchDir = values['bench-dir'] ?? fileURLToPath(new URL('../../bench/results', import.meta.url));
  const bench = readBenchRates(benchDir);
  const sources: string[] = [...bench.notes];
  const producerRate = numberFlag('producer-rate', values['producer-rate']);
  const sparkRate = numberFlag('spark-rate', values['spark-rate']);
  sources.push(
    `producer ev/s per pod: ${producerRate !== undefined ? '--producer-rate' : (bench.producerEventsPerSecondPerPod?.source ?? 'documented default (no bench/results/producer.json)')}`,
    `event bytes:           ${values['event-bytes'] !== undefined ? '--event-bytes' : (bench.averageEventBytes?.source ?? 'documented default (610, measured JSON)')}`,
    `spark ev/s per core:   ${sparkRate !== undefined ? '--spark-rate' : (bench.sparkEventsPerSecondPerCore?.source ?? 'documented default (no bench/results/spark-*.json)')}`,
  );
  const input: CapacityPlanInput = {
    targetEventsPerHour: values.rate === undefined ? undefined : parseRate(values.rate),
    headroom: numberFlag('headroom', values.headroom),
    producerEventsPerSecondPerPod: producerRate ?? bench.producerEventsPerSecondPerPod?.value,
    sparkEventsPerSecondPerCore: sparkRate ?? bench.sparkEventsPerSecondPerCore?.value,
    averageEventBytes: numberFlag('event-bytes', values['event-bytes']) ?? bench.averageEventBytes?.value,
    retentionHours: numberFlag('retention-hours', values['retention-hours']),
    triggerSeconds: numberFlag('trigger-s', values['trigger-s']),
    mskBrokerType: values['msk-broker-type'],
  };
  const plan = computeCapacityPlan(input);
  return values.json ? JSON.stringify(plan, null, 2) : formatCapacityPlan(plan, sources);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(main(process.argv.slice(2)));
  } catch (error) {
    console.error(`plan: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
