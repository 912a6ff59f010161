import { CfnResource } from 'aws-cdk-lib';
import type { KubernetesManifest } from 'aws-cdk-lib/aws-eks-v2';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizedProject } from './fixtures.ts';

/** Lambda payload limit of the kubectl provider (aws-cdk #19165). */
const KUBECTL_PAYLOAD_LIMIT_BYTES = 262_144;

interface ManifestResource {
  readonly Properties: { readonly Manifest: unknown };
  readonly DependsOn?: readonly string[];
}

/** The k8s/ charts as the stack applies them: logical id -> resource, keyed by the chart's construct id. */
function chartManifests(): Record<'Namespace' | 'TopicJob' | 'Producers' | 'SparkJob', [string, ManifestResource]> {
  const { stack, template } = synthesizedProject();
  const resources = template.findResources('Custom::AWSCDK-EKS-KubernetesResource') as Record<string, ManifestResource>;
  const find = (manifest: KubernetesManifest): [string, ManifestResource] => {
    const cfn = manifest.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c));
    const logicalId = cfn && stack.getLogicalId(cfn);
    const resource = logicalId === undefined ? undefined : resources[logicalId];
    if (!logicalId || !resource) throw new Error(`no Kubernetes resource in the template for ${manifest.node.path}`);
    return [logicalId, resource];
  };
  const { workloads } = stack;
  return {
    Namespace: find(workloads.namespaceManifest),
    TopicJob: find(workloads.topicManifest!),
    Producers: find(workloads.producerManifest),
    SparkJob: find(workloads.sparkJobManifest),
  };
}

describe('Workloads (the k8s/ charts embedded with addCdk8sChart)', () => {
  // One synthesis for the whole file; it takes longer than a test's timeout on a busy machine.
  beforeAll(() => {
    synthesizedProject();
  });

  it('applies the namespace, topic Job, producer fleet and SparkApplication to the cluster', () => {
    // GIVEN the synthesised stack / WHEN the chart manifests are read / THEN each chart has its kinds
    const manifests = chartManifests();
    const kinds = (entry: [string, ManifestResource]): string => JSON.stringify(entry[1].Properties.Manifest);
    expect(kinds(manifests.Namespace)).toContain('\\"kind\\":\\"Namespace\\"');
    expect(kinds(manifests.TopicJob)).toContain('\\"kind\\":\\"Job\\"');
    expect(kinds(manifests.Producers)).toContain('\\"kind\\":\\"StatefulSet\\"');
    expect(kinds(manifests.SparkJob)).toContain('\\"kind\\":\\"SparkApplication\\"');
  });

  it('passes CDK tokens in: MSK brokers, bucket, image URIs and the consumer group the Spark role may use', () => {
    const { stack } = synthesizedProject();
    const manifests = chartManifests();
    const producer = JSON.stringify(manifests.Producers[1].Properties.Manifest);
    const spark = JSON.stringify(manifests.SparkJob[1].Properties.Manifest);
    // The brokers come from the custom resource that reads them; the images from the assets.
    expect(producer).toContain(stack.getLogicalId(stack.kafka!.node.findChild('BootstrapBrokers').node.defaultChild as never));
    expect(spark).toContain(stack.config.sparkConsumerGroup);
    expect(spark).toContain('AnalyticsBucket');
    expect(producer).toMatch(/dkr\.ecr/);
  });

  it('orders the charts: namespace before the Job, the Job before the producers, the operator before Spark', () => {
    const manifests = chartManifests();
    const [namespaceId] = manifests.Namespace;
    const [topicId, topic] = manifests.TopicJob;
    const [, producers] = manifests.Producers;
    const [, spark] = manifests.SparkJob;
    expect(topic.DependsOn).toContain(namespaceId);
    expect(producers.DependsOn).toContain(topicId);
    expect(spark.DependsOn).toContain(namespaceId);
    expect(spark.DependsOn?.some((id) => id.startsWith('SparkOperator'))).toBe(true);
  });

  it('keeps every manifest payload under the kubectl Lambda limit', () => {
    for (const [chart, [, resource]] of Object.entries(chartManifests())) {
      const bytes = Buffer.byteLength(JSON.stringify(resource.Properties.Manifest));
      expect(bytes, `${chart} manifest is ${bytes} bytes`).toBeLessThan(KUBECTL_PAYLOAD_LIMIT_BYTES);
    }
  });
});
