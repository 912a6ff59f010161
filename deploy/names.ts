/**
 * The names a deployment's parts use to find each other: the CDK stack (lib/) creates node groups,
 * IAM roles and Pod Identity associations under these names, and the cdk8s charts (k8s/) schedule
 * pods and mount service accounts by them. Both import them from here, so they cannot drift.
 */

/** Availability Zones the VPC, the node groups and the Kafka brokers span; broker counts are multiples of it. */
export const AVAILABILITY_ZONE_COUNT = 3;

/** Kubernetes namespace of every workload: the producers, the topic Job, Kafka on Strimzi and the Spark job. */
export const WORKLOAD_NAMESPACE = 'flight-analytics';

/**
 * Service account of the producer pods and the topic Job. Its Pod Identity association (MSK) or its
 * KafkaUser (Strimzi) carries the producer's permissions.
 */
export const PRODUCER_SERVICE_ACCOUNT = 'flight-producer';

/**
 * Service account of the Spark driver *and* executors: both read Kafka and write to S3. The
 * spark-operator's RBAC, its Pod Identity association and its KafkaUser (Strimzi) name it.
 */
export const SPARK_SERVICE_ACCOUNT = 'flight-analytics-spark';

/** Kafka topic of the flight events, unless the deployment's `topicName` says otherwise. */
export const FLIGHT_EVENTS_TOPIC = 'flight-events';

/** The Spark job's Kafka consumer group, unless the deployment's `sparkConsumerGroup` says otherwise. */
export const SPARK_CONSUMER_GROUP = 'flight-analytics-spark';

/** Node label key, and taint key, naming the workload a node is for (`flight-analytics/workload=<group>`). */
export const WORKLOAD_LABEL_KEY = 'flight-analytics/workload';

/** The EKS managed node groups, one per kind of workload. */
export const NODE_GROUP_NAMES = ['system', 'producers', 'sparkDrivers', 'sparkExecutors'] as const;
export type NodeGroupName = (typeof NODE_GROUP_NAMES)[number];

/**
 * How each node group is labelled, and whether it is tainted. Every group but `system` carries a
 * NoSchedule taint `flight-analytics/workload=<label>`, so only pods that tolerate it land there and
 * an executor can never starve a producer of CPU. `system` stays untainted for CoreDNS, the
 * operators, metrics-server and the other add-ons.
 */
export const NODE_GROUPS: Readonly<Record<NodeGroupName, { readonly label: string; readonly tainted: boolean }>> = {
  system: { label: 'system', tainted: false },
  producers: { label: 'producers', tainted: true },
  sparkDrivers: { label: 'spark-drivers', tainted: true },
  sparkExecutors: { label: 'spark-executors', tainted: true },
};

/**
 * Label (and taint) value of the Kafka node groups (`-c kafka=strimzi` only): one group per zone, so
 * a broker's EBS volume and the node that replaces a failed one are always in the same zone.
 */
export const KAFKA_NODE_GROUP_LABEL = 'kafka';
