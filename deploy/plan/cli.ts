/**
 * `npm run plan`: prints the capacity plan of deploy/plan-inputs.json, the one `cdk synth` and
 * `cdk8s synth` deploy, as a table with the limit behind each size and where each input came from.
 *
 *   npm run plan                                   the committed plan
 *   npm run plan -- --json                         the same, as JSON
 *   npm run plan -- --update-from bench/results/producer.json [--update-from bench/results/spark.json]
 *                                                  take a benchmark's measured rates into the inputs:
 *                                                  rewrites the file and prints what changes
 *
 * What-if options print another plan and change nothing (cdk synth and cdk8s synth keep using the file):
 *   --rate N[/h|/s]          target event rate; a bare number is per hour
 *   --headroom X             multiplier the fleets are sized for
 *   --producer-rate N        events/s per producer pod
 *   --spark-rate N           events/s per Spark executor core
 *   --event-bytes N          mean event size in bytes
 *   --retention-hours N      Kafka retention
 *   --trigger-s N            Spark micro-batch interval
 *   --msk-broker-type T      force a kafka.m7g.* broker type
 *
 *   --inputs FILE            another plan-inputs file (default deploy/plan-inputs.json)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { displayPath, PLAN_INPUTS_FILE, planFrom, readPlanInputs } from '../deployment.ts';
import type { CapacityPlanInput } from './capacity-plan.ts';
import { formatCapacityPlan, planSizes } from './format.ts';
import { formatPlanInputs, measuredRates, type PlanInputs, updatePlanInputs } from './inputs.ts';

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

/** Runs the CLI on `argv` and returns what it prints. */
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
      'update-from': { type: 'string', multiple: true },
      inputs: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const file = values.inputs ?? PLAN_INPUTS_FILE;
  const committed = readPlanInputs(file);
  const whatIf: Partial<CapacityPlanInput> = Object.fromEntries(
    Object.entries({
      targetEventsPerHour: values.rate === undefined ? undefined : parseRate(values.rate),
      headroom: numberFlag('headroom', values.headroom),
      producerEventsPerSecondPerPod: numberFlag('producer-rate', values['producer-rate']),
      sparkEventsPerSecondPerCore: numberFlag('spark-rate', values['spark-rate']),
      averageEventBytes: numberFlag('event-bytes', values['event-bytes']),
      retentionHours: numberFlag('retention-hours', values['retention-hours']),
      triggerSeconds: numberFlag('trigger-s', values['trigger-s']),
      mskBrokerType: values['msk-broker-type'],
    }).filter(([, value]) => value !== undefined),
  );

  if (values['update-from'] !== undefined) {
    if (Object.keys(whatIf).length > 0 || values.json) {
      throw new Error('--update-from: takes only result files (and --inputs); run the what-if options or --json separately');
    }
    return updateFrom(values['update-from'], committed, file);
  }

  const planInputs: PlanInputs = { inputs: { ...committed.inputs, ...whatIf }, sources: committed.sources };
  const plan = planFrom(planInputs, file);
  if (values.json) return JSON.stringify(plan, undefined, 2);
  const overridden = Object.keys(whatIf);
  const sources = [
    `inputs: ${displayPath(file)}` +
      (overridden.length === 0 ? ' (what cdk synth and cdk8s synth deploy)' : `, what-if ${overridden.join(', ')} from the command line (cdk synth and cdk8s synth use the file)`),
    ...Object.entries(committed.sources)
      .filter(([name]) => !overridden.includes(name))
      .map(([name, source]) => `  ${name}: ${source}`),
  ];
  return formatCapacityPlan(plan, sources);
}

/** Takes the rates of `resultFiles` into the inputs file and describes what changed. */
function updateFrom(resultFiles: readonly string[], committed: PlanInputs, file: string): string {
  let updated = committed;
  const notes: string[] = [];
  for (const resultFile of resultFiles) {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(resultFile, 'utf8'));
    } catch (error) {
      throw new Error(`--update-from ${resultFile}: cannot read it as JSON (${(error as Error).message})`);
    }
    const measured = measuredRates(document, displayPath(resultFile));
    updated = updatePlanInputs(updated, measured);
    notes.push(...measured.notes);
  }
  const before = planSizes(planFrom(committed, file));
  const after = planSizes(planFrom(updated, file));
  writeFileSync(file, formatPlanInputs(updated));

  const inputChanges = Object.entries(updated.inputs)
    .filter(([name, value]) => committed.inputs[name as keyof CapacityPlanInput] !== value)
    .map(([name, value]) => `  ${name}: ${String(committed.inputs[name as keyof CapacityPlanInput])} -> ${String(value)}  (${updated.sources[name]})`);
  const sizeChanges = Object.keys(after)
    .filter((what) => before[what] !== after[what])
    .map((what) => `  ${what}: ${before[what]} -> ${after[what]}`);
  return [
    `wrote ${displayPath(file)}`,
    'inputs:',
    ...(inputChanges.length > 0 ? inputChanges : ['  unchanged']),
    'plan:',
    ...(sizeChanges.length > 0 ? sizeChanges : ['  unchanged']),
    ...notes.map((note) => `note: ${note}`),
    'Review with git diff; cdk synth and cdk8s synth use the new inputs from now on.',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(main(process.argv.slice(2)));
  } catch (error) {
    console.error(`plan: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
