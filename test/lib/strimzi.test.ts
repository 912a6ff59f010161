/**
 * The stack with `-c kafka=strimzi`: no MSK, the Strimzi operator at the versions.json chart,
 * one Kafka node group per zone with the EBS CSI driver, and the k8s/ charts pointed at Strimzi.
 */
import { CfnResource } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { KubernetesManifest } from 'aws-cdk-lib/aws-eks-v2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AVAILABILITY_ZONE_COUNT } from '../../deploy/names.ts';
import { versions } from '../../deploy/versions.ts';
import { maskAssetHashes, synthesizedProject } from './fixtures.ts';

/** Lambda payload limit of the kubectl provider (aws-cdk #19165). */
const KUBECTL_PAYLOAD_LIMIT_BYTES = 262_144;

function manifestResource(manifest: KubernetesManifest | undefined): { id: string; manifest: string; dependsOn: string[] } {
  const { stack, template } = synthesizedProject('strimzi');
  if (manifest === undefined) throw new Error('manifest missing');
  const cfn = manifest.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c))!;
  const id = stack.getLogicalId(cfn);
  const resource = template.findResources('Custom::AWSCDK-EKS-KubernetesResource')[id]!;
  return { id, manifest: JSON.stringify(resource['Properties'].Manifest), dependsOn: resource['DependsOn'] ?? [] };
}

describe('FlightAnalyticsStack with kafka=strimzi', () => {
  // One synthesis for the whole file; it takes longer than a test's timeout on a busy machine.
  beforeAll(() => {
    synthesizedProject('strimzi');
  });

  it('creates no MSK cluster, configuration or bootstrap-broker lookup', () => {
    const { template } = synthesizedProject('strimzi');
    template.resourceCountIs('AWS::MSK::Cluster', 0);
    template.resourceCountIs('AWS::MSK::Configuration', 0);
    template.resourceCountIs('Custom::AWS', 0);
  });

  it('installs the Strimzi operator chart at the version in versions.json, watching the workload namespace, restricted', () => {
    const { template } = synthesizedProject('strimzi');
    template.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Chart: 'strimzi-kafka-operator',
      Version: versions.strimziChart,
      Repository: 'https://strimzi.io/charts/',
      Namespace: 'strimzi',
      Values: Match.serializedJson(
        Match.objectLike({
          watchNamespaces: ['flight-analytics'],
          extraEnvs: [{ name: 'STRIMZI_POD_SECURITY_PROVIDER_CLASS', value: 'restricted' }],
          nodeSelector: { 'flight-analytics/workload': 'system' },
        }),
      ),
    });
  });

  it('adds one on-demand, tainted Kafka node group per zone, of the EC2 twin of the planned broker type, arm64 for Graviton', () => {
    const { stack, template } = synthesizedProject('strimzi');
    const kafkaGroups = Object.values(template.findResources('AWS::EKS::Nodegroup')).filter((group) => String(group['Properties'].NodegroupName).startsWith('kafka-'));
    expect(kafkaGroups).toHaveLength(3);
    const nodesPerZone = stack.config.kafka.brokerCount / AVAILABILITY_ZONE_COUNT;
    const subnets = new Set<string>();
    for (const group of kafkaGroups) {
      const properties = group['Properties'];
      expect(properties).toMatchObject({
        CapacityType: 'ON_DEMAND',
        AmiType: 'AL2023_ARM_64_STANDARD',
        InstanceTypes: [stack.config.kafka.brokerInstanceType.replace(/^kafka\./, '')],
        ScalingConfig: { MinSize: nodesPerZone, DesiredSize: nodesPerZone, MaxSize: nodesPerZone },
        Labels: { 'flight-analytics/workload': 'kafka' },
        Taints: [{ Key: 'flight-analytics/workload', Value: 'kafka', Effect: 'NO_SCHEDULE' }],
      });
      expect(properties.Subnets).toHaveLength(1);
      subnets.add(JSON.stringify(properties.Subnets[0]));
    }
    expect(subnets.size).toBe(3);
  });

  it('runs the EBS CSI driver add-on with its role through Pod Identity', () => {
    const { template } = synthesizedProject('strimzi');
    template.hasResourceProperties('AWS::EKS::Addon', {
      AddonName: 'aws-ebs-csi-driver',
      PodIdentityAssociations: [{ ServiceAccount: 'ebs-csi-controller-sa', RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('EbsCsiDriverRole'), 'Arn'] } }],
    });
  });

  it('gives the producer no AWS role and the Spark role only its bucket (Kafka access is by certificate and ACL)', () => {
    const { template } = synthesizedProject('strimzi');
    const associations = Object.values(template.findResources('AWS::EKS::PodIdentityAssociation')).map((a) => a['Properties'].ServiceAccount);
    expect(associations).toStrictEqual(['flight-analytics-spark']);
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('kafka-cluster:');
  });

  it('applies the Kafka chart after the namespace, the operator, the Kafka nodes and the EBS CSI driver; producers and Spark after it', () => {
    const { stack } = synthesizedProject('strimzi');
    const namespace = manifestResource(stack.workloads.namespaceManifest);
    const kafka = manifestResource(stack.workloads.kafkaManifest);
    const producers = manifestResource(stack.workloads.producerManifest);
    const spark = manifestResource(stack.workloads.sparkJobManifest);
    expect(stack.workloads.topicManifest).toBeUndefined();
    expect(kafka.dependsOn).toEqual(expect.arrayContaining([namespace.id, expect.stringMatching(/^StrimziOperatorChart/), expect.stringMatching(/^EksEbsCsiDriver/)]));
    expect(kafka.dependsOn.filter((id) => /^EksClusterNodegroupkafka\d[0-9A-F]{8}$/.test(id))).toHaveLength(3);
    expect(producers.dependsOn).toContain(kafka.id);
    expect(spark.dependsOn).toEqual(expect.arrayContaining([kafka.id, expect.stringMatching(/^SparkOperatorChart/)]));
    for (const { manifest } of [namespace, kafka, producers, spark]) expect(Buffer.byteLength(manifest)).toBeLessThan(KUBECTL_PAYLOAD_LIMIT_BYTES);
  });

  it('points the producers and Spark at the Strimzi TLS listener with their KafkaUser certificates', () => {
    const { stack } = synthesizedProject('strimzi');
    const kafka = manifestResource(stack.workloads.kafkaManifest).manifest;
    const producers = manifestResource(stack.workloads.producerManifest).manifest;
    const spark = manifestResource(stack.workloads.sparkJobManifest).manifest;
    expect(kafka).toContain('\\"kind\\":\\"KafkaNodePool\\"');
    expect(kafka).toContain(`\\"replicas\\":${stack.config.kafka.brokerCount}`);
    for (const manifest of [producers, spark]) expect(manifest).toContain('flight-kafka-kafka-bootstrap.flight-analytics.svc:9093');
    expect(producers).toContain('\\"PRODUCER_SECURITY\\":\\"tls\\"');
    expect(spark).toContain('kafka.security.protocol=SSL');
    expect(spark).not.toContain('AWS_MSK_IAM');
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    const { app } = synthesizedProject('strimzi');
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))).toStrictEqual([]);
  });

  it('matches the snapshot (asset hashes masked)', () => {
    expect(maskAssetHashes(synthesizedProject('strimzi').template.toJSON())).toMatchSnapshot();
  });
});
