/**
 * The chart composition: which charts a deployment gets, in which order, and how each workload
 * authenticates to Kafka. k8s/main.ts and lib/workloads.ts both use it (dist-vs-template.test.ts
 * holds their outputs equal); here its choices are pinned.
 */
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { composeWorkloadCharts, kafkaSecurityFor } from '../../k8s/index.ts';
import { projectDeployment } from '../deploy/fixtures.ts';
import { appCharts, manifestOfKind, manifestsOf, TEST_BUCKET, TEST_PRODUCER_IMAGE, TEST_SPARK_IMAGE } from './fixtures.ts';

describe('composeWorkloadCharts', () => {
  it('gives an MSK deployment the namespace, the topic Job, the producers, Spark and monitoring, every client on IAM', () => {
    // GIVEN an MSK deployment WHEN its charts are composed
    const charts = appCharts(projectDeployment('msk'));
    // THEN they come in apply order
    expect(Object.keys(charts)).toStrictEqual(['flight-analytics-namespace', 'flight-events-topic', 'flight-producer', 'flight-analytics', 'flight-monitoring']);
    // AND the topic Job, the producers and Spark all authenticate with the pod's IAM role
    const topicEnv = manifestOfKind(manifestsOf(charts['flight-events-topic']!), 'Job').spec.template.spec.containers[0].env;
    expect(topicEnv).toContainEqual({ name: 'PRODUCER_SECURITY', value: 'msk-iam' });
    expect(manifestOfKind(manifestsOf(charts['flight-producer']!), 'ConfigMap').data.PRODUCER_SECURITY).toBe('msk-iam');
    expect(manifestOfKind(manifestsOf(charts['flight-analytics']!), 'SparkApplication').spec.arguments).toContain('kafka.security.protocol=SASL_SSL');
  });

  it('gives a Strimzi deployment the Kafka chart instead of the topic Job, each client with its own certificate', () => {
    const charts = appCharts(projectDeployment('strimzi'));
    expect(Object.keys(charts)).toStrictEqual(['flight-analytics-namespace', 'flight-kafka', 'flight-producer', 'flight-analytics', 'flight-monitoring']);
    expect(kafkaSecurityFor('strimzi', 'flight-producer')).toStrictEqual({ kind: 'mtls', clusterCaSecret: 'flight-kafka-cluster-ca-cert', userSecret: 'flight-producer' });
    const spark = manifestOfKind(manifestsOf(charts['flight-analytics']!), 'SparkApplication');
    expect(spark.spec.driver.secrets.map((s: { name: string }) => s.name)).toStrictEqual(['flight-kafka-cluster-ca-cert', 'flight-analytics-spark']);
  });

  it('orders the charts with cdk8s dependencies: the topic source before the producers, Kafka before Spark, the namespace before monitoring', () => {
    const { charts } = composeWorkloadCharts(Testing.app(), projectDeployment('strimzi'), {
      bucketName: TEST_BUCKET,
      producerImage: TEST_PRODUCER_IMAGE,
      sparkJobImage: TEST_SPARK_IMAGE,
      awsRegion: 'eu-west-1',
    });
    expect(charts.map(({ role, after }) => [role, after])).toStrictEqual([
      ['namespace', []],
      ['kafka', ['namespace']],
      ['producers', ['kafka']],
      ['spark', ['namespace', 'kafka']],
      ['monitoring', ['namespace']],
    ]);
    const producers = charts.find((c) => c.role === 'producers')!.chart;
    expect(producers.node.dependencies.map((d) => d.node.id)).toStrictEqual(['flight-kafka']);
  });

  it('refuses an MSK deployment without the MSK bootstrap servers', () => {
    expect(() =>
      composeWorkloadCharts(Testing.app(), projectDeployment('msk'), {
        bucketName: TEST_BUCKET,
        producerImage: TEST_PRODUCER_IMAGE,
        sparkJobImage: TEST_SPARK_IMAGE,
        awsRegion: 'eu-west-1',
      }),
    ).toThrow('composeWorkloadCharts: deployTime.mskBootstrapServers is needed when Kafka is MSK');
  });
});
