import { describe, expect, it } from 'vitest';
import { computeCapacityPlan } from '../../deploy/plan/capacity-plan.ts';
import { MSK_BROKER_TYPES } from '../../deploy/plan/instance-types.ts';
import { TEST_PLAN_INPUTS, testPlan } from './fixtures.ts';

describe('computeCapacityPlan', () => {
  it('sizes the 1.2 B events/hour target with the documented defaults', () => {
    // GIVEN target 1.2e9/h, 40k ev/s per producer pod, 4k ev/s per Spark core, and the default headroom 1.5
    // WHEN the plan is computed
    const plan = testPlan();
    // THEN every size is the one docs/capacity-plan.md explains
    expect(plan.rates.targetEventsPerSecond).toBeCloseTo(333_333.33, 1);
    expect(plan.producer.replicas.value).toBe(15);
    expect(plan.spark.executorInstances.value).toBe(32);
    expect(plan.spark.executorCores).toBe(4);
    expect(plan.spark.shufflePartitions.value).toBe(256);
    expect(plan.spark.maxOffsetsPerTrigger.value).toBe(6_666_667);
    expect(plan.topic.partitions.value).toBe(132);
    expect(plan.msk.brokerType.value).toBe('kafka.m7g.2xlarge');
    expect(plan.msk.brokers.value).toBe(6);
    expect(plan.msk.provisionedStorageThroughputMibPerSecond).toBe(312.5);
    expect(testPlan({ mskBrokerType: 'kafka.m7g.large' }).msk.provisionedStorageThroughputMibPerSecond).toBeUndefined();
    expect(plan.nodeGroups.producers).toMatchObject({ instanceType: 'c7i.xlarge', desiredSize: 6, minSize: 6, maxSize: 9 });
    expect(plan.nodeGroups.sparkExecutors).toMatchObject({ instanceType: 'm7i.4xlarge', desiredSize: 11, minSize: 11, maxSize: 12 });
  });

  it('gives producer replicas x per-pod rate >= target x headroom', () => {
    for (const targetEventsPerHour of [1e6, 3.6e8, 1.2e9, 5e9]) {
      const plan = testPlan({ targetEventsPerHour });
      expect(plan.producer.replicas.value * TEST_PLAN_INPUTS.producerEventsPerSecondPerPod).toBeGreaterThanOrEqual(
        plan.rates.plannedEventsPerSecond,
      );
      expect(plan.spark.executorInstances.value * plan.spark.executorCores * TEST_PLAN_INPUTS.sparkEventsPerSecondPerCore).toBeGreaterThanOrEqual(
        plan.rates.plannedEventsPerSecond,
      );
    }
  });

  it('keeps MSK brokers a multiple of 3 zones and within the recommended partitions per broker', () => {
    for (const targetEventsPerHour of [1e6, 1.2e9, 1e10]) {
      const plan = testPlan({ targetEventsPerHour });
      const type = MSK_BROKER_TYPES.find((t) => t.name === plan.msk.brokerType.value)!;
      expect(plan.msk.brokers.value % 3).toBe(0);
      expect(plan.msk.brokers.value).toBeGreaterThanOrEqual(3);
      expect(plan.topic.partitions.value % plan.msk.brokers.value).toBe(0);
      expect((plan.topic.partitions.value * 3) / plan.msk.brokers.value).toBeLessThanOrEqual(type.recommendedPartitionsPerBroker);
    }
  });

  it('sets maxOffsetsPerTrigger to factor x rate x trigger, within the 1.5-2x band', () => {
    const plan = testPlan({ targetEventsPerHour: 3.6e6, triggerSeconds: 30, maxOffsetsFactor: 1.5 });
    expect(plan.spark.maxOffsetsPerTrigger.value).toBe(45_000);
  });

  it('says which limit bound each decision', () => {
    const plan = testPlan();
    expect(plan.producer.replicas.reason).toMatch(/^throughput: /);
    expect(plan.spark.executorInstances.reason).toMatch(/^throughput: /);
    expect(plan.msk.brokers.reason).toMatch(/^storage throughput: /);
    expect(plan.topic.partitions.reason).toMatch(/^consumer parallelism: /);
    // A tiny target is bound by the zones, a long retention by the disk size.
    expect(testPlan({ targetEventsPerHour: 1e6 }).msk.brokers.reason).toMatch(/^3 zones = 3$/);
    expect(testPlan({ retentionHours: 24 * 30, mskBrokerType: 'kafka.m7g.16xlarge' }).msk.brokers.reason).toMatch(/^retention: /);
    expect(testPlan({ mskBrokerType: 'kafka.m7g.large' }).msk.brokers.reason).toMatch(/^network out: /);
  });

  it('uses a forced MSK broker type', () => {
    const plan = testPlan({ mskBrokerType: 'kafka.m7g.4xlarge' });
    expect(plan.msk.brokerType).toStrictEqual({ value: 'kafka.m7g.4xlarge', reason: 'given as mskBrokerType' });
  });

  it.each<[string, object, string]>([
    ['rate 0', { targetEventsPerHour: 0 }, 'targetEventsPerHour: expected a number > 0, got 0'],
    ['negative rate', { targetEventsPerHour: -5 }, 'targetEventsPerHour: expected a number > 0, got -5'],
    ['NaN producer rate', { producerEventsPerSecondPerPod: Number.NaN }, 'producerEventsPerSecondPerPod: expected a number > 0, got null'],
    ['headroom < 1', { headroom: 0.9 }, 'headroom: expected a number >= 1 (a multiplier on the target rate), got 0.9'],
    ['maxOffsetsFactor 3', { maxOffsetsFactor: 3 }, 'maxOffsetsFactor: expected a number in [1.5, 2], got 3'],
    ['unknown MSK type', { mskBrokerType: 'kafka.m5.large' }, 'mskBrokerType: unknown MSK broker type "kafka.m5.large"; expected one of kafka.m7g.large'],
    ['unknown node type', { producerNodeType: 'c5.large' }, 'producerNodeType: unknown node instance type "c5.large"; expected one of c7i.large'],
    ['executor too big for its node', { executorCores: 16 }, 'sparkExecutorNodeType: m7i.4xlarge cannot hold one executor (16 cores'],
  ])('throws naming the input, value and expected for %s', (_case, input, message) => {
    expect(() => testPlan(input)).toThrow(message);
  });

  it.each(['targetEventsPerHour', 'producerEventsPerSecondPerPod', 'sparkEventsPerSecondPerCore', 'averageEventBytes'] as const)(
    'has no default for the rate %s: a missing one is an error naming it',
    (rate) => {
      // GIVEN the inputs without one rate
      const { [rate]: _missing, ...withoutIt } = TEST_PLAN_INPUTS;
      // WHEN the plan is computed THEN it refuses, naming the rate
      expect(() => computeCapacityPlan(withoutIt as never)).toThrow(`${rate}: expected a number > 0, got nothing (it is missing)`);
    },
  );
});
