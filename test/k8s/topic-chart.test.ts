import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { TopicChart } from '../../k8s/topic-chart.ts';
import { testPlan } from '../deploy/fixtures.ts';
import { manifestOfKind, MSK_IAM, TEST_BOOTSTRAP, TEST_PRODUCER_IMAGE } from './fixtures.ts';

describe('TopicChart', () => {
  it('creates the topic with the plan\'s partitions, replication and retention, using the producer image', () => {
    // GIVEN the 1.2 B/h plan
    const plan = testPlan();
    // WHEN the chart is synthesised
    const job = manifestOfKind(
      Testing.synth(new TopicChart(Testing.app(), 'flight-events-topic', { bootstrapServers: TEST_BOOTSTRAP, image: TEST_PRODUCER_IMAGE, plan, kafkaSecurity: MSK_IAM })),
      'Job',
    );
    // THEN one Job runs `topics` with the plan's sizes
    const container = job.spec.template.spec.containers[0];
    expect(container.image).toBe(TEST_PRODUCER_IMAGE);
    expect(container.args).toStrictEqual([
      'topics',
      '--partitions', String(plan.topic.partitions.value),
      '--replication-factor', '3',
      '--topic-config', `retention.ms=${24 * 3_600_000}`,
    ]);
    expect([...container.env].sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name))).toStrictEqual([
      { name: 'PRODUCER_BOOTSTRAP', value: TEST_BOOTSTRAP },
      { name: 'PRODUCER_LOG_FORMAT', value: 'json' },
      { name: 'PRODUCER_SECURITY', value: 'msk-iam' },
      { name: 'PRODUCER_TOPIC', value: 'flight-events' },
    ]);
    expect(job.spec.template.spec.serviceAccountName).toBe('flight-producer');
    expect(job.spec.backoffLimit).toBe(6);
  });

  it('refuses mtls: on Strimzi a KafkaTopic creates the topic', () => {
    const mtls = { kind: 'mtls', clusterCaSecret: 'ca', userSecret: 'user' } as const;
    expect(() => new TopicChart(Testing.app(), 'flight-events-topic', { bootstrapServers: TEST_BOOTSTRAP, plan: testPlan(), kafkaSecurity: mtls })).toThrow(
      'TopicChart: kafkaSecurity must be {kind: "msk-iam"}, got {"kind":"mtls","clusterCaSecret":"ca","userSecret":"user"}; on Strimzi the StrimziKafkaChart\'s KafkaTopic creates the topic',
    );
  });

  it('matches the snapshot', () => {
    const chart = new TopicChart(Testing.app(), 'flight-events-topic', { bootstrapServers: TEST_BOOTSTRAP, plan: testPlan(), kafkaSecurity: MSK_IAM });
    expect(Testing.synth(chart)).toMatchSnapshot();
  });
});
