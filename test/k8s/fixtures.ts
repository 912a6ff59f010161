/**
 * Test fixtures for k8s/: every chart of the cdk8s app, synthesised in memory the way k8s/main.ts
 * wires them, plus helpers to find objects and the pod specs inside them.
 */
import { Testing } from 'cdk8s';
import type { Chart } from 'cdk8s';
import { computeCapacityPlan } from '../../lib/plan/capacity-plan.ts';
import { FlightAnalyticsNamespaceChart, ProducerChart, SparkJobChart, TopicChart } from '../../k8s/index.ts';

// Manifests are plain JSON-like objects; `any` keeps the assertions readable.
export type Manifest = any;

export const TEST_BOOTSTRAP = 'b-1.msk.example:9098,b-2.msk.example:9098';
export const TEST_PRODUCER_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/flight-producer@sha256:abc';
export const TEST_SPARK_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/flight-spark@sha256:def';
export const TEST_BUCKET = 'flight-analytics-test-bucket';

/** Each chart of the app with the default (1.2 B/h) plan and the test values, keyed by chart name. */
export function appCharts(): Record<string, Chart> {
  const app = Testing.app();
  const plan = computeCapacityPlan();
  return {
    'flight-analytics-namespace': new FlightAnalyticsNamespaceChart(app, 'flight-analytics-namespace'),
    'flight-events-topic': new TopicChart(app, 'flight-events-topic', { bootstrapServers: TEST_BOOTSTRAP, image: TEST_PRODUCER_IMAGE, plan }),
    'flight-producer': new ProducerChart(app, 'flight-producer', { bootstrapServers: TEST_BOOTSTRAP, image: TEST_PRODUCER_IMAGE, plan }),
    'flight-analytics': new SparkJobChart(app, 'flight-analytics', {
      bootstrapServers: TEST_BOOTSTRAP,
      bucketName: TEST_BUCKET,
      image: TEST_SPARK_IMAGE,
      mskIamAuth: true,
      plan,
    }),
  };
}

export function manifestsOf(chart: Chart): Manifest[] {
  return Testing.synth(chart);
}

export function allManifests(): Manifest[] {
  return Object.values(appCharts()).flatMap(manifestsOf);
}

export function manifestOfKind(manifests: Manifest[], kind: string): Manifest {
  const matching = manifests.filter((m) => m.kind === kind);
  if (matching.length !== 1) throw new Error(`expected one ${kind}, found ${matching.length}`);
  return matching[0];
}

/** A pod spec to check, with where it came from. SparkApplication driver/executor specs are pod-ish. */
export interface PodSpecAt {
  readonly where: string;
  readonly podSecurityContext: Manifest;
  readonly containers: Manifest[];
  readonly spec: Manifest;
}

/** Every pod spec in the manifests: workload templates and the SparkApplication's driver and executor. */
export function podSpecs(manifests: Manifest[]): PodSpecAt[] {
  const found: PodSpecAt[] = [];
  for (const m of manifests) {
    const where = `${m.kind}/${m.metadata.name}`;
    if (m.kind === 'Pod') found.push({ where, podSecurityContext: m.spec.securityContext, containers: allContainers(m.spec), spec: m.spec });
    const template = m.spec?.template?.spec ?? m.spec?.jobTemplate?.spec?.template?.spec;
    if (template) found.push({ where, podSecurityContext: template.securityContext, containers: allContainers(template), spec: template });
    if (m.kind === 'SparkApplication') {
      for (const role of ['driver', 'executor']) {
        const s = m.spec[role];
        found.push({ where: `${where} ${role}`, podSecurityContext: s.podSecurityContext, containers: [{ name: role, securityContext: s.securityContext }, ...(s.sidecars ?? []), ...(s.initContainers ?? [])], spec: s });
      }
    }
  }
  return found;
}

function allContainers(spec: Manifest): Manifest[] {
  return [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/**
 * The API server prunes fields a structural schema does not declare, so a misspelt field would be
 * dropped without a word. For the test, every object schema that declares its properties rejects
 * others (unless it says x-kubernetes-preserve-unknown-fields).
 */
export function withoutUnknownFields(schema: any): any {
  if (Array.isArray(schema)) return schema.map(withoutUnknownFields);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: any = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withoutUnknownFields(value)]));
  if (copy.properties && copy.additionalProperties === undefined && !copy['x-kubernetes-preserve-unknown-fields']) {
    copy.additionalProperties = false;
  }
  return copy;
}
