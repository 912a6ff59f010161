/**
 * The instance types the capacity plan may choose from, with the limits it sizes against.
 * Only types listed here are accepted; anything else is rejected with the list of known types.
 */

/** One Amazon MSK Standard broker size. */
export interface MskBrokerType {
  readonly name: string;
  readonly vcpus: number;
  /**
   * Recommended partitions per broker, leaders and followers together. Above it MSK still works
   * but does not guarantee that updates (version upgrades, config changes) succeed.
   * Source: "Best practices for Standard brokers", section "Right-size your cluster: number of
   * partitions per Standard broker", https://docs.aws.amazon.com/msk/latest/developerguide/bestpractices.html
   */
  readonly recommendedPartitionsPerBroker: number;
  /**
   * Storage throughput one broker's EBS volume sustains, MiB/s: 250 by default; the 2xlarge and
   * larger sizes can be provisioned up to the figure here.
   * Source: "Manage storage throughput for Standard brokers", table "Maximum storage throughput",
   * https://docs.aws.amazon.com/msk/latest/developerguide/msk-provision-throughput-management.html
   */
  readonly storageThroughputMibPerSecond: number;
  /**
   * Baseline (not burst) network bandwidth of the underlying m7g instance, Gbit/s.
   * Source: Amazon EC2 general purpose instance specifications, "Network specifications" for M7g,
   * https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html#gp_network
   */
  readonly baselineNetworkGbps: number;
}

/** Largest EBS volume of one MSK Standard broker, GiB (16 TiB; see the MSK storage docs). */
export const MSK_MAX_STORAGE_PER_BROKER_GIB = 16_384;

/** kafka.m7g.* brokers, smallest first (the plan picks the smallest that needs the fewest vCPUs in all). */
export const MSK_BROKER_TYPES: readonly MskBrokerType[] = [
  { name: 'kafka.m7g.large', vcpus: 2, recommendedPartitionsPerBroker: 1000, storageThroughputMibPerSecond: 250, baselineNetworkGbps: 0.937 },
  { name: 'kafka.m7g.xlarge', vcpus: 4, recommendedPartitionsPerBroker: 1000, storageThroughputMibPerSecond: 250, baselineNetworkGbps: 1.876 },
  { name: 'kafka.m7g.2xlarge', vcpus: 8, recommendedPartitionsPerBroker: 2000, storageThroughputMibPerSecond: 312.5, baselineNetworkGbps: 3.75 },
  { name: 'kafka.m7g.4xlarge', vcpus: 16, recommendedPartitionsPerBroker: 4000, storageThroughputMibPerSecond: 625, baselineNetworkGbps: 7.5 },
  { name: 'kafka.m7g.8xlarge', vcpus: 32, recommendedPartitionsPerBroker: 4000, storageThroughputMibPerSecond: 1000, baselineNetworkGbps: 15 },
  { name: 'kafka.m7g.12xlarge', vcpus: 48, recommendedPartitionsPerBroker: 4000, storageThroughputMibPerSecond: 1000, baselineNetworkGbps: 22.5 },
  { name: 'kafka.m7g.16xlarge', vcpus: 64, recommendedPartitionsPerBroker: 4000, storageThroughputMibPerSecond: 1000, baselineNetworkGbps: 30 },
];

/** One EC2 instance type for an EKS managed node group. */
export interface NodeInstanceType {
  readonly name: string;
  readonly vcpus: number;
  readonly memoryGib: number;
}

/**
 * x86_64 node types: the EKS node groups run the AL2023 x86_64 AMI (lib/cluster.ts), where the
 * producer and Spark images are built. vCPUs and memory from the EC2 instance type specifications.
 */
export const NODE_INSTANCE_TYPES: readonly NodeInstanceType[] = [
  { name: 'c7i.large', vcpus: 2, memoryGib: 4 },
  { name: 'c7i.xlarge', vcpus: 4, memoryGib: 8 },
  { name: 'c7i.2xlarge', vcpus: 8, memoryGib: 16 },
  { name: 'm7i.large', vcpus: 2, memoryGib: 8 },
  { name: 'm7i.xlarge', vcpus: 4, memoryGib: 16 },
  { name: 'm7i.2xlarge', vcpus: 8, memoryGib: 32 },
  { name: 'm7i.4xlarge', vcpus: 16, memoryGib: 64 },
  { name: 'r7i.xlarge', vcpus: 4, memoryGib: 32 },
  { name: 'r7i.2xlarge', vcpus: 8, memoryGib: 64 },
  { name: 'r7i.4xlarge', vcpus: 16, memoryGib: 128 },
];

export function mskBrokerType(input: string, name: string): MskBrokerType {
  const found = MSK_BROKER_TYPES.find((t) => t.name === name);
  if (!found) {
    throw new Error(`${input}: unknown MSK broker type ${JSON.stringify(name)}; expected one of ${MSK_BROKER_TYPES.map((t) => t.name).join(', ')}`);
  }
  return found;
}

export function nodeInstanceType(input: string, name: string): NodeInstanceType {
  const found = NODE_INSTANCE_TYPES.find((t) => t.name === name);
  if (!found) {
    throw new Error(`${input}: unknown node instance type ${JSON.stringify(name)}; expected one of ${NODE_INSTANCE_TYPES.map((t) => t.name).join(', ')}`);
  }
  return found;
}
