/**
 * The deployment's configuration, read from the CDK context key `flightAnalytics` (see cdk.json),
 * and where Kafka runs (the context key `kafka`).
 *
 * Only the entry points (bin/app.ts, k8s/main.ts, through ./deployment.ts) parse it; constructs and
 * charts receive the parsed, typed values as props.
 */
import { AVAILABILITY_ZONE_COUNT, FLIGHT_EVENTS_TOPIC, NODE_GROUP_NAMES, type NodeGroupName, SPARK_CONSUMER_GROUP } from './names.ts';
import type { CapacityPlan } from './plan/capacity-plan.ts';

/** The CDK context key that holds the configuration object. */
export const CONFIG_CONTEXT_KEY = 'flightAnalytics';

/**
 * The CDK context key that picks where Kafka runs: `msk` (Amazon MSK, the default) or `strimzi`
 * (a KRaft cluster on the EKS nodes, run by the Strimzi operator). `npx cdk synth -c kafka=strimzi`.
 */
export const KAFKA_CHOICE_CONTEXT_KEY = 'kafka';
export const KAFKA_CHOICES = ['msk', 'strimzi'] as const;
export type KafkaChoice = (typeof KAFKA_CHOICES)[number];

/** How to set the `kafka` choice for `cdk synth`; k8s/main.ts names its KAFKA variable instead. */
const SET_KAFKA_CHOICE_IN_CDK = `Set it with -c ${KAFKA_CHOICE_CONTEXT_KEY}=strimzi or under "context" in cdk.json`;

/**
 * Validates the `kafka` context value; a missing value means `msk`.
 * @param setting the name the user set it under, for the error
 * @param howToSet a sentence saying where to set it, for the error
 * @throws Error naming the setting, the value and the choices.
 */
export function parseKafkaChoice(raw: unknown, setting: string = KAFKA_CHOICE_CONTEXT_KEY, howToSet: string = SET_KAFKA_CHOICE_IN_CDK): KafkaChoice {
  if (raw === undefined) {
    return 'msk';
  }
  if (typeof raw === 'string' && (KAFKA_CHOICES as readonly string[]).includes(raw)) {
    return raw as KafkaChoice;
  }
  throw new Error(
    `${setting}: expected "msk" (Amazon MSK, the default) or "strimzi" (Kafka on the EKS nodes with the Strimzi operator), ` +
      `got ${describe(raw)}. ${howToSet}`,
  );
}

/** Default number of days objects under `quarantine/` are kept before S3 deletes them. */
export const DEFAULT_QUARANTINE_EXPIRATION_DAYS = 30;

/** A validated configuration. Every field is present; defaults have been applied. */
export interface FlightAnalyticsConfig {
  /**
   * Short name of the environment, e.g. `dev` or `prod`. It becomes part of the stack name and tags,
   * and later of Kubernetes and AWS resource names, so it is lowercase letters, digits and hyphens,
   * starts with a letter, and is at most 20 characters long.
   */
  readonly envName: string;
  /**
   * Days S3 keeps events the Spark job could not parse (under `quarantine/`) before deleting them.
   * A whole number >= 1.
   * @default 30
   */
  readonly quarantineExpirationDays: number;
  /**
   * ARN of an existing IAM role that gets cluster-admin on the EKS cluster through an access entry
   * (`arn:aws:iam::<12-digit account>:role/<name>`).
   * @default - no extra access entry; only the identity that deploys the stack administers the cluster
   */
  readonly adminRoleArn?: string;
  /** Kafka topic the producer writes flight events to and the Spark job reads. @default 'flight-events' */
  readonly topicName: string;
  /** Kafka consumer group of the Spark job. @default 'flight-analytics-spark' */
  readonly sparkConsumerGroup: string;
  /**
   * Instance type and size of each on-demand EKS managed node group.
   * @default - the capacity plan's (system: 2-3 x m7i.large)
   */
  readonly nodeGroups: Readonly<Record<NodeGroupName, NodeGroupSizing>>;
  /**
   * Size of the Kafka cluster: Amazon MSK, or the Strimzi brokers and their nodes.
   * @default - the capacity plan's
   */
  readonly kafka: KafkaSizing;
}

/** Size of one managed node group. */
export interface NodeGroupSizing {
  /** EC2 instance type, e.g. `m7i.large`. */
  readonly instanceType: string;
  /** Nodes the group starts with (>= 1). */
  readonly desiredSize: number;
  /** Most nodes the group may scale to (>= desiredSize). */
  readonly maxSize: number;
}

/** Size of the Amazon MSK provisioned cluster. */
export interface KafkaSizing {
  /** MSK broker instance type, e.g. `kafka.m7g.xlarge`. */
  readonly brokerInstanceType: string;
  /** Number of brokers: a multiple of AVAILABILITY_ZONE_COUNT (3), since they are spread evenly over the zones. */
  readonly brokerCount: number;
  /** EBS volume per broker, in GiB (1..16384). */
  readonly brokerVolumeGiB: number;
  /**
   * Provisioned EBS storage throughput per broker, MiB/s (250 is MSK's default; provisioning needs
   * kafka.m5.4xlarge / kafka.m7g.2xlarge or larger). The capacity plan asks for it when its broker
   * count counts on more than the default.
   * @default the volume's default throughput (none provisioned)
   */
  readonly provisionedThroughputMibPerSecond?: number;
}

/**
 * The system node group is not in the capacity plan: it runs cluster add-ons (CoreDNS, the
 * spark-operator, metrics-server), whose needs do not grow with the event rate.
 */
export const DEFAULT_SYSTEM_NODE_GROUP: NodeGroupSizing = { instanceType: 'm7i.large', desiredSize: 2, maxSize: 3 };

/**
 * The sizes of the capacity plan (./plan/capacity-plan.ts): the defaults that `nodeGroups` and
 * `kafka` in the context override, field by field.
 */
export function plannedSizing(plan: CapacityPlan): {
  nodeGroups: Record<NodeGroupName, NodeGroupSizing>;
  kafka: KafkaSizing;
} {
  const sizing = ({ instanceType, desiredSize, maxSize }: NodeGroupSizing): NodeGroupSizing => ({ instanceType, desiredSize, maxSize });
  return {
    nodeGroups: {
      system: DEFAULT_SYSTEM_NODE_GROUP,
      producers: sizing(plan.nodeGroups.producers),
      sparkDrivers: sizing(plan.nodeGroups.sparkDrivers),
      sparkExecutors: sizing(plan.nodeGroups.sparkExecutors),
    },
    kafka: {
      brokerInstanceType: plan.msk.brokerType.value,
      brokerCount: plan.msk.brokers.value,
      brokerVolumeGiB: plan.msk.storagePerBrokerGib.value,
      ...(plan.msk.provisionedStorageThroughputMibPerSecond !== undefined
        ? { provisionedThroughputMibPerSecond: plan.msk.provisionedStorageThroughputMibPerSecond }
        : {}),
    },
  };
}

const ENV_NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'envName',
  'quarantineExpirationDays',
  'adminRoleArn',
  'topicName',
  'sparkConsumerGroup',
  'nodeGroups',
  'kafka',
]);
const IAM_ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
/** Kafka topic and group names: the legal Kafka characters, and no '*' that would widen an IAM resource. */
const KAFKA_NAME_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;
const EC2_INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const MSK_INSTANCE_TYPE_PATTERN = /^kafka\.[a-z0-9]+\.[a-z0-9]+$/;

/** Keys that used to be configured here, and where they are set now. */
const MOVED_KEYS: Readonly<Record<string, string>> = {
  targetEventsPerHour: 'the target rate is a capacity plan input: set it in deploy/plan-inputs.json, which npm run plan, cdk synth and cdk8s synth all read',
};

/**
 * Validates the raw context value and returns a typed configuration, with the sizes `plan` gives
 * wherever the context does not override them.
 *
 * `raw` is what `app.node.tryGetContext('flightAnalytics')` returns: normally the object from cdk.json,
 * or a JSON string when given on the command line (`cdk synth -c flightAnalytics='{"envName":"prod",...}'`).
 *
 * @throws Error naming the context key, the bad value and what was expected.
 */
export function parseFlightAnalyticsConfig(raw: unknown, plan: CapacityPlan): FlightAnalyticsConfig {
  const record = asRecord(raw);

  const moved = Object.keys(record).find((key) => MOVED_KEYS[key] !== undefined);
  if (moved !== undefined) {
    throw new Error(`${CONFIG_CONTEXT_KEY}.${moved}: no longer configured here; ${MOVED_KEYS[moved]}`);
  }
  const unknownKeys = Object.keys(record).filter((key) => !KNOWN_KEYS.has(key));
  if (unknownKeys.length > 0) {
    throw new Error(
      `${CONFIG_CONTEXT_KEY}: unknown key(s) ${unknownKeys.map((key) => JSON.stringify(key)).join(', ')}; ` +
        `expected only ${[...KNOWN_KEYS].join(', ')} (is one of them misspelt?)`,
    );
  }

  const envName = record['envName'];
  if (typeof envName !== 'string' || !ENV_NAME_PATTERN.test(envName)) {
    throw invalid(
      'envName',
      'a string of 1-20 lowercase letters, digits or hyphens that starts with a letter (e.g. "dev")',
      envName,
    );
  }

  // Only a missing key takes the default; an explicit null is more likely a mistake than a request for it.
  const quarantineExpirationDays =
    record['quarantineExpirationDays'] === undefined ? DEFAULT_QUARANTINE_EXPIRATION_DAYS : record['quarantineExpirationDays'];
  if (typeof quarantineExpirationDays !== 'number' || !Number.isInteger(quarantineExpirationDays) || quarantineExpirationDays < 1) {
    throw invalid('quarantineExpirationDays', 'a whole number of days >= 1', quarantineExpirationDays);
  }

  const adminRoleArn = record['adminRoleArn'];
  if (adminRoleArn !== undefined && (typeof adminRoleArn !== 'string' || !IAM_ROLE_ARN_PATTERN.test(adminRoleArn))) {
    throw invalid('adminRoleArn', 'an IAM role ARN such as "arn:aws:iam::123456789012:role/Admin"', adminRoleArn);
  }

  const topicName = kafkaName(record, 'topicName', FLIGHT_EVENTS_TOPIC);
  const sparkConsumerGroup = kafkaName(record, 'sparkConsumerGroup', SPARK_CONSUMER_GROUP);
  const planned = plannedSizing(plan);
  const nodeGroups = parseNodeGroups(record['nodeGroups'], planned.nodeGroups);
  const kafka = parseKafka(record['kafka'], planned.kafka);

  return {
    envName,
    quarantineExpirationDays,
    ...(adminRoleArn === undefined ? {} : { adminRoleArn }),
    topicName,
    sparkConsumerGroup,
    nodeGroups,
    kafka,
  };
}

function kafkaName(record: Record<string, unknown>, key: string, fallback: string): string {
  const value = record[key] === undefined ? fallback : record[key];
  if (typeof value !== 'string' || !KAFKA_NAME_PATTERN.test(value)) {
    throw invalid(key, '1-249 letters, digits, ".", "_" or "-"', value);
  }
  return value;
}

/** Merges the given node groups over the planned ones, group by group and field by field. */
function parseNodeGroups(raw: unknown, defaults: Record<NodeGroupName, NodeGroupSizing>): Record<NodeGroupName, NodeGroupSizing> {
  const given = optionalObject('nodeGroups', raw);
  const unknownGroups = Object.keys(given).filter((name) => !(NODE_GROUP_NAMES as readonly string[]).includes(name));
  if (unknownGroups.length > 0) {
    throw invalid('nodeGroups', `only the groups ${NODE_GROUP_NAMES.join(', ')}`, unknownGroups);
  }
  const result = {} as Record<NodeGroupName, NodeGroupSizing>;
  for (const name of NODE_GROUP_NAMES) {
    const key = `nodeGroups.${name}`;
    const group = { ...defaults[name], ...optionalObject(key, given[name]) } as Record<string, unknown>;
    rejectUnknown(key, group, ['instanceType', 'desiredSize', 'maxSize']);
    const instanceType = group['instanceType'];
    if (typeof instanceType !== 'string' || !EC2_INSTANCE_TYPE_PATTERN.test(instanceType)) {
      throw invalid(`${key}.instanceType`, 'an EC2 instance type such as "m7i.large"', instanceType);
    }
    const desiredSize = group['desiredSize'];
    if (typeof desiredSize !== 'number' || !Number.isInteger(desiredSize) || desiredSize < 1) {
      throw invalid(`${key}.desiredSize`, 'a whole number of nodes >= 1', desiredSize);
    }
    const maxSize = group['maxSize'];
    if (typeof maxSize !== 'number' || !Number.isInteger(maxSize) || maxSize < desiredSize) {
      throw invalid(`${key}.maxSize`, `a whole number of nodes >= desiredSize (${desiredSize})`, maxSize);
    }
    result[name] = { instanceType, desiredSize, maxSize };
  }
  return result;
}

function parseKafka(raw: unknown, defaults: KafkaSizing): KafkaSizing {
  const kafka = { ...defaults, ...optionalObject('kafka', raw) } as Record<string, unknown>;
  rejectUnknown('kafka', kafka, ['brokerInstanceType', 'brokerCount', 'brokerVolumeGiB', 'provisionedThroughputMibPerSecond']);
  const brokerInstanceType = kafka['brokerInstanceType'];
  if (typeof brokerInstanceType !== 'string' || !MSK_INSTANCE_TYPE_PATTERN.test(brokerInstanceType)) {
    throw invalid('kafka.brokerInstanceType', 'an MSK broker type such as "kafka.m7g.xlarge"', brokerInstanceType);
  }
  const brokerCount = kafka['brokerCount'];
  if (typeof brokerCount !== 'number' || !Number.isInteger(brokerCount) || brokerCount < AVAILABILITY_ZONE_COUNT || brokerCount % AVAILABILITY_ZONE_COUNT !== 0) {
    throw invalid('kafka.brokerCount', `a multiple of ${AVAILABILITY_ZONE_COUNT} (one share per Availability Zone), at least ${AVAILABILITY_ZONE_COUNT}`, brokerCount);
  }
  const brokerVolumeGiB = kafka['brokerVolumeGiB'];
  if (typeof brokerVolumeGiB !== 'number' || !Number.isInteger(brokerVolumeGiB) || brokerVolumeGiB < 1 || brokerVolumeGiB > 16384) {
    throw invalid('kafka.brokerVolumeGiB', 'a whole number of GiB from 1 to 16384', brokerVolumeGiB);
  }
  const throughput = kafka['provisionedThroughputMibPerSecond'];
  if (throughput !== undefined && (typeof throughput !== 'number' || !Number.isFinite(throughput) || throughput < 250)) {
    throw invalid('kafka.provisionedThroughputMibPerSecond', 'MiB/s per broker volume, at least 250 (leave it out for the default)', throughput);
  }
  return { brokerInstanceType, brokerCount, brokerVolumeGiB, ...(throughput !== undefined ? { provisionedThroughputMibPerSecond: throughput } : {}) };
}

function optionalObject(key: string, raw: unknown): Record<string, unknown> {
  if (raw === undefined) {
    return {};
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(key, 'an object', raw);
  }
  return raw as Record<string, unknown>;
}

function rejectUnknown(key: string, value: Record<string, unknown>, known: readonly string[]): void {
  const unknownKeys = Object.keys(value).filter((name) => !known.includes(name));
  if (unknownKeys.length > 0) {
    throw invalid(key, `only the keys ${known.join(', ')}`, unknownKeys);
  }
}

function asRecord(raw: unknown): Record<string, unknown> {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new Error(`${CONFIG_CONTEXT_KEY}: expected an object (or its JSON text), got ${describe(raw)}, which is not valid JSON`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `${CONFIG_CONTEXT_KEY}: expected an object such as {"envName": "dev", "quarantineExpirationDays": 30}, ` +
        `got ${describe(raw)}. Set it under "context" in cdk.json or pass -c ${CONFIG_CONTEXT_KEY}='{...}'`,
    );
  }
  return value as Record<string, unknown>;
}

function invalid(key: string, expected: string, got: unknown): Error {
  return new Error(`${CONFIG_CONTEXT_KEY}.${key}: expected ${expected}, got ${describe(got)}`);
}

/** Renders a bad value so that `-1`, `"-1"`, `null` and a missing value look different in the message. */
function describe(value: unknown): string {
  if (value === undefined) {
    return 'nothing (the key is missing)';
  }
  if (typeof value === 'number') {
    return String(value);
  }
  if (typeof value === 'string') {
    return `${JSON.stringify(value)} (a string)`;
  }
  return JSON.stringify(value) ?? String(value);
}
