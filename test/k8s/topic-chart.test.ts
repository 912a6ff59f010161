import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { computeCapacityPlan } from '../../lib/plan/capacity-plan.ts';
import { TopicChart } from '../../k8s/topic-chart.ts';
import { manifestOfKind, TEST_BOOTSTRAP, TEST_PRODUCER_IMAGE } from './fixtures.ts';

describe('TopicChart', () => {
  it('creates the topic with the plan\'s partitions, replication and retention, using the producer image', () => {
    // GIVEN the 1.2 B/h plan
    const plan = computeCapacityPlan();
    // WHEN the chart is synthesised
    const job = manifestOfKind(
      Testing.synth(new TopicChart(Testing.app(), 'flight-events-topic', { bootstrapServers: TEST_BOOTSTRAP, image: TEST_PRODUCER_IMAGE, plan })),
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
      { name: 'PRODUCER_SECURITY', value: 'plaintext' },
      { name: 'PRODUCER_TOPIC', value: 'flight-events' },
    ]);
    expect(job.spec.template.spec.serviceAccountName).toBe('flight-producer');
    expect(job.spec.backoffLimit).toBe(6);
  });

  it('matches the snapshot', () => {
    const chart = new TopicChart(Testing.app(), 'flight-events-topic', { bootstrapServers: TEST_BOOTSTRAP });
    expect(Testing.synth(chart)).toMatchSnapshot();
  });
});
