/**
 * Text forms of a capacity plan: the table `npm run plan` prints (one row per decision, with the
 * limit that bound it), the one line `cdk synth` and `cdk8s synth` print, and the sizes compared
 * when `npm run plan -- --update-from` changes the inputs.
 */
import type { CapacityPlan, NodeGroupPlan } from './capacity-plan.ts';

export function formatCapacityPlan(plan: CapacityPlan, sources: readonly string[] = []): string {
  const r = plan.rates;
  const rows: [string, string, string][] = [
    ['target rate', `${n(r.targetEventsPerSecond)} ev/s`, `${n(plan.input.targetEventsPerHour)} ev/h; ${mib(r.targetIngressBytesPerSecond)} MiB/s at ${plan.input.averageEventBytes} B/event`],
    ['planned rate', `${n(r.plannedEventsPerSecond)} ev/s`, `target x headroom ${plan.input.headroom}; ${mib(r.plannedIngressBytesPerSecond)} MiB/s`],
    ['topic partitions', n(plan.topic.partitions.value), plan.topic.partitions.reason],
    ['topic replication / retention', `RF ${plan.topic.replicationFactor}, ${plan.topic.retentionHours} h`, 'input'],
    ['producer replicas', n(plan.producer.replicas.value), plan.producer.replicas.reason],
    ['producer pod', `${plan.producer.cpuMillis}m CPU, ${plan.producer.memoryMib} MiB`, 'input'],
    ['spark executors', `${plan.spark.executorInstances.value} x ${plan.spark.executorCores} cores`, plan.spark.executorInstances.reason],
    ['spark executor memory', `${plan.spark.executorMemoryMib} MiB + ${plan.spark.executorMemoryOverheadMib} MiB overhead`, 'a quarter of the per-core memory is off-heap, for RocksDB'],
    ['RocksDB memory per executor', `${n(plan.spark.rocksdbMaxMemoryMib)} MiB`, 'half of the overhead, shared by all its state stores (bounded memory)'],
    ['spark driver', `${plan.spark.driverCores} cores, ${plan.spark.driverMemoryMib} MiB`, 'the driver plans micro-batches and commits offsets; it does not read events'],
    ['spark.sql.shuffle.partitions', n(plan.spark.shufflePartitions.value), plan.spark.shufflePartitions.reason],
    ['maxOffsetsPerTrigger', n(plan.spark.maxOffsetsPerTrigger.value), plan.spark.maxOffsetsPerTrigger.reason],
    ['MSK broker type', plan.msk.brokerType.value, plan.msk.brokerType.reason],
    ['MSK brokers', n(plan.msk.brokers.value), plan.msk.brokers.reason],
    ['MSK storage per broker', `${n(plan.msk.storagePerBrokerGib.value)} GiB`, plan.msk.storagePerBrokerGib.reason],
    [
      'MSK provisioned throughput',
      plan.msk.provisionedStorageThroughputMibPerSecond === undefined ? 'none' : `${plan.msk.provisionedStorageThroughputMibPerSecond} MiB/s`,
      plan.msk.provisionedStorageThroughputMibPerSecond === undefined
        ? 'the default 250 MiB/s per broker is what the plan counted on'
        : 'the broker count counts on it: provision it on the cluster (default is 250 MiB/s)',
    ],
    nodeRow('nodes: producers', plan.nodeGroups.producers),
    nodeRow('nodes: spark drivers', plan.nodeGroups.sparkDrivers),
    nodeRow('nodes: spark executors', plan.nodeGroups.sparkExecutors),
  ];
  const w0 = Math.max(...rows.map((row) => row[0].length));
  const w1 = Math.max(...rows.map((row) => row[1].length));
  const header = `${'what'.padEnd(w0)}  ${'size'.padEnd(w1)}  bound by`;
  const lines = [header, '-'.repeat(header.length + 20), ...rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`)];
  if (sources.length > 0) lines.push('', ...sources);
  return lines.join('\n');
}

function nodeRow(what: string, group: NodeGroupPlan): [string, string, string] {
  return [what, `${group.desiredSize} x ${group.instanceType} (min ${group.minSize}, max ${group.maxSize})`, group.reason];
}

function n(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

function mib(bytesPerSecond: number): string {
  return n(bytesPerSecond / (1024 * 1024));
}

/** One line with the sizes a reviewer checks first; `cdk synth` and `cdk8s synth` print it. */
export function planSummary(plan: CapacityPlan): string {
  return (
    `capacity plan: ${n(plan.input.targetEventsPerHour)} events/h -> ${plan.producer.replicas.value} producer pods, ` +
    `${plan.spark.executorInstances.value} Spark executors x ${plan.spark.executorCores} cores, ${plan.topic.partitions.value} partitions, ` +
    `${plan.msk.brokers.value} x ${plan.msk.brokerType.value} brokers`
  );
}

/** The plan's sizes by name, as text, for comparing two plans. */
export function planSizes(plan: CapacityPlan): Record<string, string> {
  const group = (g: NodeGroupPlan) => `${g.desiredSize} x ${g.instanceType} (max ${g.maxSize})`;
  return {
    'topic partitions': n(plan.topic.partitions.value),
    'producer replicas': n(plan.producer.replicas.value),
    'spark executors': `${plan.spark.executorInstances.value} x ${plan.spark.executorCores} cores`,
    'spark.sql.shuffle.partitions': n(plan.spark.shufflePartitions.value),
    maxOffsetsPerTrigger: n(plan.spark.maxOffsetsPerTrigger.value),
    'MSK brokers': `${plan.msk.brokers.value} x ${plan.msk.brokerType.value}`,
    'MSK storage per broker': `${n(plan.msk.storagePerBrokerGib.value)} GiB`,
    'nodes: producers': group(plan.nodeGroups.producers),
    'nodes: spark drivers': group(plan.nodeGroups.sparkDrivers),
    'nodes: spark executors': group(plan.nodeGroups.sparkExecutors),
  };
}
