/**
 * One deployment: its capacity plan, its configuration and where Kafka runs, computed once by an
 * entry point (bin/app.ts for `cdk synth`, k8s/main.ts for `cdk8s synth`) and handed to every
 * construct and chart as props. Both entry points read the same two files:
 * - deploy/plan-inputs.json: the target rate and the measured rates the plan is computed from;
 * - cdk.json's context: `flightAnalytics` (names, retention, size overrides) and `kafka` (msk or strimzi).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONFIG_CONTEXT_KEY,
  type FlightAnalyticsConfig,
  KAFKA_CHOICE_CONTEXT_KEY,
  type KafkaChoice,
  parseFlightAnalyticsConfig,
  parseKafkaChoice,
} from './config.ts';
import { type CapacityPlan, computeCapacityPlan } from './plan/capacity-plan.ts';
import { parsePlanInputs, type PlanInputs } from './plan/inputs.ts';

// Resolved from this module, which sits one level below the root, as the bundled CDK app in
// cdk.out/ does (cdk.json defines import.meta.url to the bundle's URL).
/** The committed capacity plan inputs. */
export const PLAN_INPUTS_FILE = fileURLToPath(new URL('../deploy/plan-inputs.json', import.meta.url));
/** The CDK app's configuration; `cdk8s synth` reads its context as well. */
export const CDK_JSON_FILE = fileURLToPath(new URL('../cdk.json', import.meta.url));

/** What to deploy: every size, name and choice the CDK stack and the cdk8s charts need. */
export interface Deployment {
  readonly plan: CapacityPlan;
  readonly config: FlightAnalyticsConfig;
  readonly kafkaChoice: KafkaChoice;
}

/** The context values a deployment is read from (cdk.json's `context`, or `app.node.tryGetContext`). */
export interface DeploymentContext {
  readonly [CONFIG_CONTEXT_KEY]: unknown;
  readonly [KAFKA_CHOICE_CONTEXT_KEY]?: unknown;
}

/** A path for messages: relative to the working directory when it is inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

/** Reads a plan-inputs file (the committed one unless told otherwise). @throws Error naming the file. */
export function readPlanInputs(file: string = PLAN_INPUTS_FILE): PlanInputs {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${displayPath(file)}: cannot read the capacity plan inputs (${(error as Error).message})`);
  }
  return parsePlanInputs(text, displayPath(file));
}

/** The plan for `planInputs`; an out-of-range input is reported with the file it came from. */
export function planFrom(planInputs: PlanInputs, file: string = PLAN_INPUTS_FILE): CapacityPlan {
  try {
    return computeCapacityPlan(planInputs.inputs);
  } catch (error) {
    throw new Error(`${displayPath(file)}: ${(error as Error).message}`);
  }
}

/** The `context` block of cdk.json. */
export function readCdkContext(file: string = CDK_JSON_FILE): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

/**
 * The deployment for `context`, sized by the plan of `planInputs` (the committed inputs by default).
 * @throws Error naming the file or context key and the bad value.
 */
export function loadDeployment(context: DeploymentContext, planInputs: PlanInputs = readPlanInputs()): Deployment {
  const plan = planFrom(planInputs);
  return {
    plan,
    config: parseFlightAnalyticsConfig(context[CONFIG_CONTEXT_KEY], plan),
    kafkaChoice: parseKafkaChoice(context[KAFKA_CHOICE_CONTEXT_KEY]),
  };
}
