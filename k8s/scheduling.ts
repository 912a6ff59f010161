/**
 * Where pods run: each workload has its own EKS managed node group, labelled and tainted
 * `flight-analytics/workload=<group>` (NoSchedule) by the CDK stack (lib/cluster.ts). A pod selects
 * its group with a nodeSelector and tolerates that group's taint, so an executor can never take a
 * producer's CPU. The label key and values come from deploy/names.ts, which lib/cluster.ts reads too.
 */
import { KAFKA_NODE_GROUP_LABEL, NODE_GROUPS, WORKLOAD_LABEL_KEY } from '../deploy/names.ts';

/** Label value of each workload node group the charts place pods on (the Kafka groups: `-c kafka=strimzi` only). */
export const NODE_GROUP_LABELS = {
  producers: NODE_GROUPS.producers.label,
  sparkDrivers: NODE_GROUPS.sparkDrivers.label,
  sparkExecutors: NODE_GROUPS.sparkExecutors.label,
  kafka: KAFKA_NODE_GROUP_LABEL,
} as const;

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
