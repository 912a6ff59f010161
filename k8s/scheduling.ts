/**
 * Where pods run: each workload has its own EKS managed node group, labelled and tainted
 * `flight-analytics/workload=<group>` (NoSchedule) by the CDK stack (lib/cluster.ts). A pod selects
 * its group with a nodeSelector and tolerates that group's taint, so an executor can never take a
 * producer's CPU. test/k8s checks these values against lib/cluster.ts.
 */

/** Node label key, and taint key, naming the workload a node is for. */
export const WORKLOAD_LABEL_KEY = 'flight-analytics/workload';

/** Label value of each workload node group. */
export const NODE_GROUP_LABELS = {
  producers: 'producers',
  sparkDrivers: 'spark-drivers',
  sparkExecutors: 'spark-executors',
} as const;

/**
 * Label value of the Kafka node groups (`-c kafka=strimzi` only): one group per zone, so a broker's
 * EBS volume and the node that replaces a failed one are always in the same zone.
 */
export const KAFKA_NODE_GROUP_LABEL = 'kafka';

/** Kubernetes's well-known zone label, used to spread pods across availability zones. */
export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';

export interface NodePlacement {
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: { key: string; operator: 'Equal'; value: string; effect: 'NoSchedule' }[];
}

/** nodeSelector + toleration for the node group whose label value is `group`. */
export function nodeGroupPlacement(group: string): NodePlacement {
  return {
    nodeSelector: { [WORKLOAD_LABEL_KEY]: group },
    tolerations: [{ key: WORKLOAD_LABEL_KEY, operator: 'Equal', value: group, effect: 'NoSchedule' }],
  };
}
