/**
 * What `npx cdk8s synth` writes to dist/ for review is what `cdk deploy` applies. For each Kafka
 * choice, the real cdk8s CLI writes its manifests, the CDK app synthesises the stack, both from the
 * project's cdk.json and deploy/plan-inputs.json, and every chart's manifests must be equal.
 *
 * Two things differ by design and are set aside:
 * - the values only a deployment knows. The template holds CDK tokens (MSK's brokers, the bucket, the
 *   image URIs, the region); cdk8s is given, for each, the marker the producer chart hashes a token
 *   as (`${Token}`), so its config hash must come out the same. A string with a token or marker in
 *   it is compared as "a deploy-time value".
 * - the `aws.cdk.eks/prune-<hash>` label aws-eks-v2 puts on every object it applies, to find the
 *   ones to prune later.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { KubernetesManifest } from 'aws-cdk-lib/aws-eks-v2';
import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import type { KafkaChoice } from '../../deploy/config.ts';
import { loadDeployment, planFrom, readPlanInputs } from '../../deploy/deployment.ts';
import { FlightAnalyticsStack } from '../../lib/flight-analytics-stack.ts';
import { projectContext, stubImageBuildContexts } from '../lib/fixtures.ts';
import { credentialFreeEnv, runNpx } from '../lib/run-cli.ts';
import type { Manifest } from './fixtures.ts';

const CLI_TIMEOUT_MS = 240_000;
/** What a CDK token becomes in the producer chart's config hash (k8s/producer-chart.ts), and so what cdk8s is given. */
const TOKEN_MARKER = '${Token}';
const DEPLOY_TIME_VALUE = '<a deploy-time value>';
const PRUNE_LABEL = /^aws\.cdk\.eks\/prune-/;

/** The manifests the real `npx cdk8s synth` writes, file by file in apply order. */
async function distManifests(kafkaChoice: KafkaChoice): Promise<{ files: string[]; charts: Manifest[][] }> {
  const outdir = mkdtempSync(join(tmpdir(), `dist-${kafkaChoice}-`));
  try {
    const result = await runNpx(
      ['cdk8s', 'synth', '--output', outdir],
      credentialFreeEnv({
        CDK8S_CHECK_UPGRADE: 'false',
        KAFKA: kafkaChoice,
        KAFKA_BOOTSTRAP_SERVERS: TOKEN_MARKER,
        ANALYTICS_BUCKET: TOKEN_MARKER,
        PRODUCER_IMAGE: TOKEN_MARKER,
        SPARK_JOB_IMAGE: TOKEN_MARKER,
        AWS_REGION: TOKEN_MARKER,
      }),
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const files = readdirSync(outdir).filter((name) => name.endsWith('.k8s.yaml')).sort();
    return { files, charts: files.map((file) => Yaml.load(join(outdir, file))) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The manifests the synthesised template applies, chart by chart in the stack's apply order. */
function templateManifests(kafkaChoice: KafkaChoice): Manifest[][] {
  // The same context cdk.json gives `npx cdk synth -c kafka=<choice>`, read the way bin/app.ts reads it.
  const app = new App({ context: { ...projectContext(), kafka: kafkaChoice } });
  const deployment = loadDeployment({ flightAnalytics: app.node.tryGetContext('flightAnalytics'), kafka: app.node.tryGetContext('kafka') });
  const stack = new FlightAnalyticsStack(app, `FlightAnalytics-${deployment.config.envName}`, { deployment, imageBuildContexts: stubImageBuildContexts() });
  const resources = Template.fromStack(stack).toJSON()['Resources'] as Record<string, { Properties: { Manifest: unknown } }>;
  const { workloads } = stack;
  const applied = [
    workloads.namespaceManifest,
    workloads.topicManifest ?? workloads.kafkaManifest!,
    workloads.producerManifest,
    workloads.sparkJobManifest,
    workloads.monitoringManifest,
  ];
  return applied.map((manifest) => JSON.parse(joinTokens(resources[logicalId(stack, manifest)]!.Properties.Manifest)));
}

function logicalId(stack: Stack, manifest: KubernetesManifest): string {
  const cfn = manifest.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c));
  if (cfn === undefined) throw new Error(`no CloudFormation resource under ${manifest.node.path}`);
  return stack.getLogicalId(cfn);
}

/** A template value as text: Fn::Join is joined, and any other intrinsic (Ref, GetAtt, Sub) is a token. */
function joinTokens(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join === undefined ? TOKEN_MARKER : join[1].map(joinTokens).join(join[0]);
}

/** The manifests with deploy-time values and the prune label set aside (see the file's comment). */
function comparable(manifests: Manifest): Manifest {
  if (typeof manifests === 'string') return manifests.includes(TOKEN_MARKER) ? DEPLOY_TIME_VALUE : manifests;
  if (Array.isArray(manifests)) return manifests.map(comparable);
  if (typeof manifests !== 'object' || manifests === null) return manifests;
  return Object.fromEntries(
    Object.entries(manifests)
      .filter(([key]) => !PRUNE_LABEL.test(key))
      .map(([key, value]) => [key, comparable(value)]),
  );
}

describe.each<[KafkaChoice, string]>([
  ['msk', '0001-flight-events-topic.k8s.yaml'],
  ['strimzi', '0001-flight-kafka.k8s.yaml'],
])('npx cdk8s synth and npx cdk synth -c kafka=%s', (kafkaChoice, kafkaFile) => {
  it(
    'write the same manifests: dist/ holds, chart by chart and in apply order, what the template applies',
    async () => {
      // GIVEN the project's cdk.json and deploy/plan-inputs.json
      // WHEN cdk8s writes dist/ and CDK synthesises the stack
      const dist = await distManifests(kafkaChoice);
      const template = templateManifests(kafkaChoice);
      // THEN both hold the same five charts in the same order
      expect(dist.files).toStrictEqual([
        '0000-flight-analytics-namespace.k8s.yaml',
        kafkaFile,
        '0002-flight-producer.k8s.yaml',
        '0003-flight-analytics.k8s.yaml',
        '0004-flight-monitoring.k8s.yaml',
      ]);
      expect(template).toHaveLength(dist.charts.length);
      // AND each chart's manifests are equal, deploy-time values aside
      dist.charts.forEach((chart, index) => {
        expect(comparable(chart), dist.files[index]).toStrictEqual(comparable(template[index]));
      });
      // AND the sizes in both are the plan of the committed inputs, the one `npm run plan` prints
      const plan = planFrom(readPlanInputs());
      expect(dist.charts[2]!.find((m: Manifest) => m.kind === 'StatefulSet').spec.replicas).toBe(plan.producer.replicas.value);
      expect(dist.charts[3]!.find((m: Manifest) => m.kind === 'SparkApplication').spec.executor.instances).toBe(plan.spark.executorInstances.value);
    },
    CLI_TIMEOUT_MS,
  );
});
