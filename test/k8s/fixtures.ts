/**
 * Test fixtures for k8s/: every chart of an MSK deployment, composed in memory the way k8s/main.ts
 * and lib/workloads.ts compose them, plus helpers to find objects and the pod specs inside them.
 */
import { Testing } from 'cdk8s';
import type { Chart } from 'cdk8s';
import type { Deployment } from '../../deploy/deployment.ts';
import { composeWorkloadCharts, type KafkaSecurity } from '../../k8s/index.ts';
import { projectDeployment } from '../deploy/fixtures.ts';

// Manifests are plain JSON-like objects; `any` keeps the assertions readable.
export type Manifest = any;

export const TEST_BOOTSTRAP = 'b-1.msk.example:9098,b-2.msk.example:9098';
export const TEST_PRODUCER_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/flight-producer@sha256:abc';
export const TEST_SPARK_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/flight-spark@sha256:def';
export const TEST_BUCKET = 'flight-analytics-test-bucket';

export const TEST_REGION = 'eu-west-1';
/** What an MSK deployment's workloads authenticate with. */
export const MSK_IAM: KafkaSecurity = { kind: 'msk-iam' };

/** Each chart of a deployment (MSK unless told otherwise, sized by the test plan) with the test values, keyed by chart name. */
export function appCharts(deployment: Deployment = projectDeployment('msk')): Record<string, Chart> {
  const { charts } = composeWorkloadCharts(Testing.app(), deployment, {
    mskBootstrapServers: TEST_BOOTSTRAP,
    bucketName: TEST_BUCKET,
    producerImage: TEST_PRODUCER_IMAGE,
    sparkJobImage: TEST_SPARK_IMAGE,
    awsRegion: TEST_REGION,
  });
  return Object.fromEntries(charts.map(({ chart }) => [chart.node.id, chart]));
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
