/**
 * The capacity plan: from the target event rate and measured per-pod / per-core rates to every size
 * in the deployment (topic partitions, producer replicas, Spark executors, MSK brokers, node groups).
 *
 * `computeCapacityPlan` is pure: it reads nothing but its input. The entry points (bin/app.ts for
 * `cdk synth`, k8s/main.ts for `cdk8s synth`, the `npm run plan` CLI) compute it once from the
 * committed inputs in deploy/plan-inputs.json (see ./inputs.ts) and hand the result to every construct
 * and chart, so all three show the same numbers. Each decision carries a `reason` that names the
 * limit that bound it.
 */
import { AVAILABILITY_ZONE_COUNT } from '../names.ts';
import {
  MSK_BROKER_TYPES,
  MSK_MAX_STORAGE_PER_BROKER_GIB,
  type MskBrokerType,
  mskBrokerType,
  type NodeInstanceType,
  nodeInstanceType,
} from './instance-types.ts';

/**
 * What the plan is computed from. The rates have no default: they are what the deployment is sized
 * for and what was measured, and they live in deploy/plan-inputs.json. The model's parameters below
 * them default to `CAPACITY_PLAN_DEFAULTS`.
 */
export interface CapacityPlanInput {
  /** Events per hour the pipeline must sustain (1.2e9 is 333,333 events/s). */
  readonly targetEventsPerHour: number;
  /** Sustained events/s one producer pod sends (acks=all, one worker, no compression). */
  readonly producerEventsPerSecondPerPod: number;
  /** Events/s one Spark executor core processes end to end, in steady state. */
  readonly sparkEventsPerSecondPerCore: number;
  /** Mean serialized event size on the wire, bytes. */
  readonly averageEventBytes: number;
  /**
   * Multiplier on the target rate that every throughput size is computed for (catch-up after an
   * outage, traffic peaks); >= 1. Producer and Spark fleets are sized for target x headroom.
   * @default 1.5
   */
  readonly headroom?: number;
  /** How long Kafka keeps events, hours. @default 24 */
  readonly retentionHours?: number;
  /** Topic replication factor. @default 3 */
  readonly replicationFactor?: number;
  /** Consumers that each read the whole topic (the Spark job runs two queries on it). @default 2 */
  readonly topicReadsPerEvent?: number;
  /** Micro-batch trigger interval of the Spark job, seconds. @default 10 */
  readonly triggerSeconds?: number;
  /** maxOffsetsPerTrigger = factor x target rate x trigger; in [1.5, 2]. @default 2 */
  readonly maxOffsetsFactor?: number;
  /** Fraction of a broker's storage and network bandwidth the plan may use, in (0, 1]. @default 0.5 */
  readonly brokerUtilization?: number;
  /** Force this MSK broker type (kafka.m7g.*) instead of letting the plan choose. */
  readonly mskBrokerType?: string;
  /** Cores of one Spark executor. @default 4 */
  readonly executorCores?: number;
  /** Executor memory per core (heap + overhead), MiB; a quarter of it is overhead for RocksDB. @default 4096 */
  readonly executorMemoryPerCoreMib?: number;
  /** CPU request of one producer pod, millicores. @default 1000 */
  readonly producerCpuMillis?: number;
  /** Memory of one producer pod, MiB. @default 1024 */
  readonly producerMemoryMib?: number;
  /** Node type of the producer node group. @default 'c7i.xlarge' */
  readonly producerNodeType?: string;
  /** Node type of the Spark driver node group. @default 'm7i.xlarge' */
  readonly sparkDriverNodeType?: string;
  /** Node type of the Spark executor node group. @default 'm7i.4xlarge' */
  readonly sparkExecutorNodeType?: string;
}

/** The inputs without a default: the rates. */
export const REQUIRED_PLAN_INPUTS = ['targetEventsPerHour', 'producerEventsPerSecondPerPod', 'sparkEventsPerSecondPerCore', 'averageEventBytes'] as const;
type RequiredPlanInput = (typeof REQUIRED_PLAN_INPUTS)[number];

export type ResolvedCapacityPlanInput = Required<Omit<CapacityPlanInput, 'mskBrokerType'>> & {
  readonly mskBrokerType: string | undefined;
};

/** The model's parameters when the inputs do not set them. */
export const CAPACITY_PLAN_DEFAULTS: Omit<ResolvedCapacityPlanInput, RequiredPlanInput> = {
  headroom: 1.5,
  retentionHours: 24,
  replicationFactor: 3,
  topicReadsPerEvent: 2,
  triggerSeconds: 10,
  maxOffsetsFactor: 2,
  brokerUtilization: 0.5,
  mskBrokerType: undefined,
  executorCores: 4,
  executorMemoryPerCoreMib: 4096,
  producerCpuMillis: 1000,
  producerMemoryMib: 1024,
  producerNodeType: 'c7i.xlarge',
  sparkDriverNodeType: 'm7i.xlarge',
  sparkExecutorNodeType: 'm7i.4xlarge',
};

/** One sized value and the limit that bound it. */
export interface Decision<T = number> {
  readonly value: T;
  readonly reason: string;
}

/** An EKS managed node group. `min == desired`: the stream runs all day, nothing scales in. */
export interface NodeGroupPlan {
  readonly instanceType: string;
  /** Field names match deploy/config.ts NodeGroupSizing, so a plan's group can be passed straight in. */
  readonly desiredSize: number;
  readonly minSize: number;
  readonly maxSize: number;
  readonly reason: string;
}

export interface CapacityPlan {
  readonly input: ResolvedCapacityPlanInput;
  readonly rates: {
    readonly targetEventsPerSecond: number;
    /** target x headroom: what the fleets are sized for. */
    readonly plannedEventsPerSecond: number;
    readonly targetIngressBytesPerSecond: number;
    readonly plannedIngressBytesPerSecond: number;
  };
  readonly topic: {
    readonly partitions: Decision;
    readonly replicationFactor: number;
    readonly retentionHours: number;
  };
  readonly producer: {
    readonly replicas: Decision;
    readonly cpuMillis: number;
    readonly memoryMib: number;
  };
  readonly spark: {
    readonly executorInstances: Decision;
    readonly executorCores: number;
    /** JVM heap of one executor, MiB (`spark.executor.memory`). */
    readonly executorMemoryMib: number;
    /** Off-heap of one executor (RocksDB, netty), MiB (`spark.executor.memoryOverhead`). */
    readonly executorMemoryOverheadMib: number;
    /**
     * RocksDB memory of one executor, all its state stores together (block cache and write buffers,
     * `spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB` with bounded memory): half of the overhead,
     * the rest left to netty, the JVM's own native memory and the Python workers.
     */
    readonly rocksdbMaxMemoryMib: number;
    readonly driverCores: number;
    readonly driverMemoryMib: number;
    readonly shufflePartitions: Decision;
    readonly maxOffsetsPerTrigger: Decision;
    readonly triggerSeconds: number;
  };
  readonly msk: {
    readonly brokerType: Decision<string>;
    readonly brokers: Decision;
    readonly storagePerBrokerGib: Decision;
    /**
     * Storage throughput to provision per broker, MiB/s, when the plan counts on more than the
     * default 250 (2xlarge and larger); undefined when the default is what the plan assumed.
     */
    readonly provisionedStorageThroughputMibPerSecond: number | undefined;
  };
  readonly nodeGroups: {
    readonly producers: NodeGroupPlan;
    readonly sparkDrivers: NodeGroupPlan;
    readonly sparkExecutors: NodeGroupPlan;
  };
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** Fill a broker's disk to at most this fraction, so a lagging consumer or a rebalance has room. */
const BROKER_DISK_FILL = 0.8;
/** vCPU and GiB per node kept for the kubelet, the OS and DaemonSets (CNI, kube-proxy, Pod Identity agent). */
const NODE_RESERVED_VCPUS = 1;
const NODE_RESERVED_MEMORY_GIB = 4;
/** A broker type whose fleet needs at most this much more vCPU than the leanest one counts as equally cheap. */
const BROKER_VCPU_TOLERANCE = 1.15;
/** EBS storage throughput of an MSK broker without provisioned throughput, MiB/s. */
const DEFAULT_STORAGE_THROUGHPUT_MIB_PER_SECOND = 250;
const DRIVER_CORES = 2;
const DRIVER_MEMORY_MIB = 4096;

/**
 * Sizes the pipeline for `input` (missing model parameters take `CAPACITY_PLAN_DEFAULTS`).
 * @throws Error naming the input, its value and what was expected, for a missing or non-positive
 *   rate, an unknown instance type or any other out-of-range input.
 */
export function computeCapacityPlan(input: CapacityPlanInput): CapacityPlan {
  const i = resolveInput(input);
  const producerNode = nodeInstanceType('producerNodeType', i.producerNodeType);
  const driverNode = nodeInstanceType('sparkDriverNodeType', i.sparkDriverNodeType);
  const executorNode = nodeInstanceType('sparkExecutorNodeType', i.sparkExecutorNodeType);
  const forcedBroker = i.mskBrokerType === undefined ? undefined : mskBrokerType('mskBrokerType', i.mskBrokerType);

  const targetEventsPerSecond = i.targetEventsPerHour / 3600;
  const plannedEventsPerSecond = targetEventsPerSecond * i.headroom;
  const targetIngressBytesPerSecond = targetEventsPerSecond * i.averageEventBytes;
  const plannedIngressBytesPerSecond = plannedEventsPerSecond * i.averageEventBytes;
  const planned = `${fmt(plannedEventsPerSecond)} ev/s (target ${fmt(targetEventsPerSecond)} x headroom ${i.headroom})`;

  // Producers: enough pods for the planned rate, spread evenly over the zones.
  const producersForRate = Math.ceil(plannedEventsPerSecond / i.producerEventsPerSecondPerPod);
  const producerReplicas = roundUpToMultiple(Math.max(producersForRate, 2), AVAILABILITY_ZONE_COUNT);
  const producerReplicasReason =
    `throughput: ${planned} / ${fmt(i.producerEventsPerSecondPerPod)} ev/s per pod = ${producersForRate}` +
    (producerReplicas !== producersForRate ? `, rounded up to a multiple of ${AVAILABILITY_ZONE_COUNT} zones` : '');

  // Spark: enough executor cores for the planned rate.
  const coresForRate = Math.ceil(plannedEventsPerSecond / i.sparkEventsPerSecondPerCore);
  const executorInstances = Math.ceil(coresForRate / i.executorCores);
  const totalExecutorCores = executorInstances * i.executorCores;
  const executorMemoryTotalMib = i.executorCores * i.executorMemoryPerCoreMib;
  const executorMemoryOverheadMib = Math.round(executorMemoryTotalMib / 4);
  const executorMemoryMib = executorMemoryTotalMib - executorMemoryOverheadMib;

  const shufflePartitions = totalExecutorCores * 2;
  const maxOffsetsPerTrigger = Math.ceil(i.maxOffsetsFactor * targetEventsPerSecond * i.triggerSeconds);

  // Kafka: one partition per executor core at least, so every core reads in every micro-batch.
  const partitionsForConsumers = Math.max(totalExecutorCores, 12);

  const broker = chooseBrokers(i, forcedBroker, plannedIngressBytesPerSecond, targetIngressBytesPerSecond, partitionsForConsumers);
  const partitions = roundUpToMultiple(partitionsForConsumers, broker.count);
  const storagePerBrokerGib = Math.ceil(
    (targetIngressBytesPerSecond * 3600 * i.retentionHours * i.replicationFactor) / broker.count / BROKER_DISK_FILL / GIB,
  );

  const producersPerNode = podsPerNode(producerNode, i.producerCpuMillis / 1000, i.producerMemoryMib / 1024);
  if (producersPerNode < 1) {
    throw new Error(
      `producerNodeType: ${producerNode.name} cannot hold one producer pod (${i.producerCpuMillis}m CPU, ${i.producerMemoryMib} MiB) after the node's reserve; expected a larger type`,
    );
  }
  const producerNodes = roundUpToMultiple(Math.ceil(producerReplicas / producersPerNode), AVAILABILITY_ZONE_COUNT);
  const executorsPerNode = podsPerNode(executorNode, i.executorCores, executorMemoryTotalMib / 1024);
  if (executorsPerNode < 1) {
    throw new Error(
      `sparkExecutorNodeType: ${executorNode.name} cannot hold one executor (${i.executorCores} cores, ${executorMemoryTotalMib} MiB) after the node's reserve; expected a larger type`,
    );
  }
  const executorNodes = Math.ceil(executorInstances / executorsPerNode);
  if (podsPerNode(driverNode, DRIVER_CORES, DRIVER_MEMORY_MIB / 1024 * 1.25) < 1) {
    throw new Error(`sparkDriverNodeType: ${driverNode.name} cannot hold the driver (${DRIVER_CORES} cores, ${DRIVER_MEMORY_MIB} MiB); expected a larger type`);
  }

  return {
    input: i,
    rates: { targetEventsPerSecond, plannedEventsPerSecond, targetIngressBytesPerSecond, plannedIngressBytesPerSecond },
    topic: {
      partitions: {
        value: partitions,
        reason:
          `consumer parallelism: >= ${partitionsForConsumers} (one per executor core, at least 12)` +
          (partitions !== partitionsForConsumers ? `, rounded up to a multiple of ${broker.count} brokers so leaders spread evenly` : '') +
          `; ${fmt((partitions * i.replicationFactor) / broker.count)} replicas per broker of ${broker.type.recommendedPartitionsPerBroker} recommended`,
      },
      replicationFactor: i.replicationFactor,
      retentionHours: i.retentionHours,
    },
    producer: {
      replicas: { value: producerReplicas, reason: producerReplicasReason },
      cpuMillis: i.producerCpuMillis,
      memoryMib: i.producerMemoryMib,
    },
    spark: {
      executorInstances: {
        value: executorInstances,
        reason: `throughput: ${planned} / ${fmt(i.sparkEventsPerSecondPerCore)} ev/s per core = ${coresForRate} cores, / ${i.executorCores} cores per executor`,
      },
      executorCores: i.executorCores,
      executorMemoryMib,
      executorMemoryOverheadMib,
      rocksdbMaxMemoryMib: Math.floor(executorMemoryOverheadMib / 2),
      driverCores: DRIVER_CORES,
      driverMemoryMib: DRIVER_MEMORY_MIB,
      shufflePartitions: {
        value: shufflePartitions,
        reason: `2 tasks per executor core (${totalExecutorCores} cores); fixed once a stateful query has checkpointed, so sized for the planned rate`,
      },
      maxOffsetsPerTrigger: {
        value: maxOffsetsPerTrigger,
        reason: `${i.maxOffsetsFactor} x target ${fmt(targetEventsPerSecond)} ev/s x ${i.triggerSeconds} s trigger: a backlog drains at ${i.maxOffsetsFactor}x the target without unbounded batches`,
      },
      triggerSeconds: i.triggerSeconds,
    },
    msk: {
      brokerType: { value: broker.type.name, reason: broker.typeReason },
      brokers: { value: broker.count, reason: broker.countReason },
      storagePerBrokerGib: {
        value: storagePerBrokerGib,
        reason: `retention: ${fmt(targetIngressBytesPerSecond / MIB)} MiB/s x ${i.retentionHours} h x RF ${i.replicationFactor} / ${broker.count} brokers, filled to ${BROKER_DISK_FILL * 100}%`,
      },
      provisionedStorageThroughputMibPerSecond:
        broker.type.storageThroughputMibPerSecond > DEFAULT_STORAGE_THROUGHPUT_MIB_PER_SECOND ? broker.type.storageThroughputMibPerSecond : undefined,
    },
    nodeGroups: {
      producers: {
        instanceType: producerNode.name,
        desiredSize: producerNodes,
        minSize: producerNodes,
        maxSize: producerNodes + AVAILABILITY_ZONE_COUNT,
        reason: `${producerReplicas} pods / ${producersPerNode} per ${producerNode.name} (bound by ${bindingResource(producerNode, i.producerCpuMillis / 1000, i.producerMemoryMib / 1024)}), rounded up to a multiple of ${AVAILABILITY_ZONE_COUNT} zones; max leaves a node per zone for rolling updates`,
      },
      sparkDrivers: {
        instanceType: driverNode.name,
        desiredSize: 1,
        minSize: 1,
        maxSize: 2,
        reason: 'one driver; max 2 so a replacement driver can start before the old node drains',
      },
      sparkExecutors: {
        instanceType: executorNode.name,
        desiredSize: executorNodes,
        minSize: executorNodes,
        maxSize: executorNodes + 1,
        reason: `${executorInstances} executors / ${executorsPerNode} per ${executorNode.name} (bound by ${bindingResource(executorNode, i.executorCores, executorMemoryTotalMib / 1024)}); max leaves one node to replace a lost one`,
      },
    },
  };
}

interface BrokerChoice {
  readonly type: MskBrokerType;
  readonly count: number;
  readonly countReason: string;
  readonly typeReason: string;
}

function brokersFor(
  i: ResolvedCapacityPlanInput,
  type: MskBrokerType,
  plannedBytesPerSecond: number,
  targetBytesPerSecond: number,
  partitions: number,
): { count: number; reason: string } {
  const bandwidth = (bytesPerSecond: number) => bytesPerSecond * i.brokerUtilization;
  const storageWriteBytes = plannedBytesPerSecond * i.replicationFactor;
  const networkOutBytes = plannedBytesPerSecond * (i.replicationFactor - 1 + i.topicReadsPerEvent);
  const retainedBytes = targetBytesPerSecond * 3600 * i.retentionHours * i.replicationFactor;
  const bounds: [string, number][] = [
    [`${AVAILABILITY_ZONE_COUNT} zones`, AVAILABILITY_ZONE_COUNT],
    [
      `storage throughput: ${fmt(storageWriteBytes / MIB)} MiB/s written (x RF ${i.replicationFactor}) / ${fmt(bandwidth(type.storageThroughputMibPerSecond))} MiB/s per broker (${type.storageThroughputMibPerSecond} at ${i.brokerUtilization * 100}%)`,
      Math.ceil(storageWriteBytes / MIB / bandwidth(type.storageThroughputMibPerSecond)),
    ],
    [
      `network out: ${fmt(networkOutBytes / MIB)} MiB/s (replication + ${i.topicReadsPerEvent} reads) / ${fmt(bandwidth((type.baselineNetworkGbps * 1e9) / 8) / MIB)} MiB/s per broker (${type.baselineNetworkGbps} Gbit/s baseline at ${i.brokerUtilization * 100}%)`,
      Math.ceil(networkOutBytes / bandwidth((type.baselineNetworkGbps * 1e9) / 8)),
    ],
    [
      `retention: ${fmt(retainedBytes / GIB / 1024)} TiB / ${MSK_MAX_STORAGE_PER_BROKER_GIB / 1024} TiB per broker at ${BROKER_DISK_FILL * 100}%`,
      Math.ceil(retainedBytes / (MSK_MAX_STORAGE_PER_BROKER_GIB * GIB * BROKER_DISK_FILL)),
    ],
    [
      `partitions: ${partitions} x RF ${i.replicationFactor} / ${type.recommendedPartitionsPerBroker} recommended per broker`,
      Math.ceil((partitions * i.replicationFactor) / type.recommendedPartitionsPerBroker),
    ],
  ];
  const [binding, needed] = bounds.reduce((a, b) => (b[1] > a[1] ? b : a));
  let count = roundUpToMultiple(needed, AVAILABILITY_ZONE_COUNT);
  // Rounding partitions up to a multiple of the broker count can cross the per-broker limit.
  while ((roundUpToMultiple(partitions, count) * i.replicationFactor) / count > type.recommendedPartitionsPerBroker) {
    count += AVAILABILITY_ZONE_COUNT;
  }
  return {
    count,
    reason: `${binding} = ${needed}` + (count !== needed ? `, rounded up to a multiple of ${AVAILABILITY_ZONE_COUNT} zones` : ''),
  };
}

function chooseBrokers(
  i: ResolvedCapacityPlanInput,
  forced: MskBrokerType | undefined,
  plannedBytesPerSecond: number,
  targetBytesPerSecond: number,
  partitions: number,
): BrokerChoice {
  if (forced) {
    const sized = brokersFor(i, forced, plannedBytesPerSecond, targetBytesPerSecond, partitions);
    return { type: forced, count: sized.count, countReason: sized.reason, typeReason: 'given as mskBrokerType' };
  }
  const options = MSK_BROKER_TYPES.map((type) => {
    const sized = brokersFor(i, type, plannedBytesPerSecond, targetBytesPerSecond, partitions);
    return { type, count: sized.count, reason: sized.reason, vcpus: sized.count * type.vcpus };
  });
  const leanest = Math.min(...options.map((o) => o.vcpus));
  const affordable = options.filter((o) => o.vcpus <= leanest * BROKER_VCPU_TOLERANCE);
  const chosen = affordable.reduce((a, b) => (b.count < a.count ? b : a));
  return {
    type: chosen.type,
    count: chosen.count,
    countReason: chosen.reason,
    typeReason:
      `fewest brokers among the types within ${Math.round((BROKER_VCPU_TOLERANCE - 1) * 100)}% of the fewest vCPUs in all ` +
      `(${chosen.count} x ${chosen.type.vcpus} = ${chosen.vcpus} vCPUs; leanest ${leanest}); compared: ` +
      options.map((o) => `${o.type.name.replace('kafka.', '')} ${o.count}x`).join(', '),
  };
}

function podsPerNode(node: NodeInstanceType, podVcpus: number, podMemoryGib: number): number {
  return Math.min(
    Math.floor((node.vcpus - NODE_RESERVED_VCPUS) / podVcpus),
    Math.floor((node.memoryGib - NODE_RESERVED_MEMORY_GIB) / podMemoryGib),
  );
}

function bindingResource(node: NodeInstanceType, podVcpus: number, podMemoryGib: number): string {
  const byCpu = Math.floor((node.vcpus - NODE_RESERVED_VCPUS) / podVcpus);
  const byMemory = Math.floor((node.memoryGib - NODE_RESERVED_MEMORY_GIB) / podMemoryGib);
  return byCpu <= byMemory
    ? `CPU: ${node.vcpus} vCPU - ${NODE_RESERVED_VCPUS} reserved`
    : `memory: ${node.memoryGib} GiB - ${NODE_RESERVED_MEMORY_GIB} reserved`;
}

function resolveInput(input: CapacityPlanInput): ResolvedCapacityPlanInput {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const i = { ...CAPACITY_PLAN_DEFAULTS, ...defined } as ResolvedCapacityPlanInput;
  const positive = (name: keyof CapacityPlanInput, value: number) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      const got = value === undefined ? 'nothing (it is missing)' : (JSON.stringify(value) ?? String(value));
      throw new Error(`${name}: expected a number > 0, got ${got}`);
    }
  };
  const wholeAtLeast = (name: keyof CapacityPlanInput, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`${name}: expected a whole number >= ${min}, got ${String(value)}`);
    }
  };
  positive('targetEventsPerHour', i.targetEventsPerHour);
  positive('producerEventsPerSecondPerPod', i.producerEventsPerSecondPerPod);
  positive('sparkEventsPerSecondPerCore', i.sparkEventsPerSecondPerCore);
  positive('averageEventBytes', i.averageEventBytes);
  positive('retentionHours', i.retentionHours);
  positive('triggerSeconds', i.triggerSeconds);
  positive('producerCpuMillis', i.producerCpuMillis);
  positive('producerMemoryMib', i.producerMemoryMib);
  positive('executorMemoryPerCoreMib', i.executorMemoryPerCoreMib);
  if (!(i.headroom >= 1) || !Number.isFinite(i.headroom)) {
    throw new Error(`headroom: expected a number >= 1 (a multiplier on the target rate), got ${String(i.headroom)}`);
  }
  if (!(i.maxOffsetsFactor >= 1.5 && i.maxOffsetsFactor <= 2)) {
    throw new Error(`maxOffsetsFactor: expected a number in [1.5, 2], got ${String(i.maxOffsetsFactor)}`);
  }
  if (!(i.brokerUtilization > 0 && i.brokerUtilization <= 1)) {
    throw new Error(`brokerUtilization: expected a fraction in (0, 1], got ${String(i.brokerUtilization)}`);
  }
  wholeAtLeast('replicationFactor', i.replicationFactor, 1);
  wholeAtLeast('topicReadsPerEvent', i.topicReadsPerEvent, 1);
  wholeAtLeast('executorCores', i.executorCores, 1);
  return i;
}

function roundUpToMultiple(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}
