/**
 * Kafka on the EKS cluster itself (`npx cdk synth -c kafka=strimzi`), the origin project's
 * production idea: a KRaft cluster of controllers and brokers run by the Strimzi operator
 * (kafka.strimzi.io/v1), its events topic, and one mTLS identity per client.
 */
import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { KAFKA_SERVER_PROPERTIES } from '../deploy/kafka-settings.ts';
import {
  AVAILABILITY_ZONE_COUNT,
  FLIGHT_EVENTS_TOPIC,
  PRODUCER_SERVICE_ACCOUNT,
  SPARK_CONSUMER_GROUP,
  SPARK_SERVICE_ACCOUNT,
  WORKLOAD_LABEL_KEY,
  WORKLOAD_NAMESPACE,
} from '../deploy/names.ts';
import type { CapacityPlan } from '../deploy/plan/capacity-plan.ts';
import { mskBrokerType } from '../deploy/plan/instance-types.ts';
import { versions } from '../deploy/versions.ts';
import {
  Kafka,
  KafkaNodePool,
  KafkaNodePoolSpecResourcesLimits,
  KafkaNodePoolSpecResourcesRequests,
  KafkaNodePoolSpecRoles,
  KafkaNodePoolSpecStorageType,
  KafkaNodePoolSpecStorageVolumesType,
  KafkaSpecKafkaAuthorizationType,
  KafkaSpecKafkaListenersAuthenticationType,
  KafkaSpecKafkaListenersType,
  KafkaSpecKafkaMetricsConfigType,
  KafkaTopic,
  KafkaUser,
  KafkaUserSpecAuthenticationType,
  KafkaUserSpecAuthorizationAclsOperations,
  KafkaUserSpecAuthorizationAclsResourcePatternType,
  KafkaUserSpecAuthorizationAclsResourceType,
  KafkaUserSpecAuthorizationType,
  type KafkaNodePoolSpecTemplatePod,
  type KafkaUserSpecAuthorizationAcls,
} from './imports/kafka.strimzi.io.ts';
import { kafkaJmxExporterConfig } from './monitoring-files.ts';
import { NODE_GROUP_LABELS, nodeGroupPlacement, ZONE_TOPOLOGY_KEY } from './scheduling.ts';
import { positiveInteger, requireText } from './validation.ts';

/** Name of the Kafka cluster; Strimzi derives its services and secrets from it. */
export const STRIMZI_KAFKA_CLUSTER_NAME = 'flight-kafka';
/** Name of the chart (its manifest: dist/NNNN-flight-kafka.k8s.yaml, or the stack's `Kafka` manifest). */
export const STRIMZI_KAFKA_CHART_NAME = 'flight-kafka';
/** Port of the TLS listener (mTLS client authentication); the only listener clients get. */
export const STRIMZI_TLS_LISTENER_PORT = 9093;
/** KRaft controllers: a quorum of one per zone survives the loss of a zone. */
export const STRIMZI_CONTROLLER_REPLICAS = AVAILABILITY_ZONE_COUNT;
/**
 * The ConfigMap (and its key) of the JMX exporter rules the brokers and controllers expose their
 * metrics with: monitoring/kafka-jmx-exporter.yaml, the file the metrics test runs its broker with.
 */
export const KAFKA_METRICS_CONFIG_MAP = 'flight-kafka-metrics';
export const KAFKA_METRICS_CONFIG_KEY = 'kafka-jmx-exporter.yaml';
/** Name Strimzi gives the JMX exporter's port (9404) on every Kafka pod; k8s/monitoring-chart.ts scrapes it. */
export const STRIMZI_METRICS_PORT_NAME = 'tcp-prometheus';
/** StorageClass of the broker and controller volumes: encrypted gp3 EBS, bound in the pod's zone. */
export const KAFKA_STORAGE_CLASS = 'flight-kafka-gp3';

/** The in-cluster bootstrap address of the TLS listener. */
export function strimziBootstrapServers(namespace: string = WORKLOAD_NAMESPACE): string {
  return `${STRIMZI_KAFKA_CLUSTER_NAME}-kafka-bootstrap.${namespace}.svc:${STRIMZI_TLS_LISTENER_PORT}`;
}

/**
 * The Secrets a Kafka client of this cluster mounts, both created by Strimzi in the cluster's namespace:
 * the cluster CA (`ca.crt`) to trust the brokers, and the KafkaUser's (`user.crt`, `user.key`), whose
 * name is the user's.
 */
export interface StrimziClientTls {
  readonly clusterCaSecret: string;
  readonly userSecret: string;
}

/** The Secrets of the KafkaUser `user` of this cluster. */
export function strimziClientTls(user: string): StrimziClientTls {
  return { clusterCaSecret: `${STRIMZI_KAFKA_CLUSTER_NAME}-cluster-ca-cert`, userSecret: user };
}

/** CPU, memory and JVM heap of one Kafka pod. */
export interface KafkaPodResources {
  /** CPU request (and limit), millicores. */
  readonly cpuMillis: number;
  /** Memory request and limit, MiB; what the heap leaves over is page cache for the log segments. */
  readonly memoryMib: number;
  /** JVM heap (-Xms = -Xmx), MiB. */
  readonly heapMib: number;
}

/**
 * A broker's share of a node of `vcpus` (m7g: 4 GiB per vCPU): three quarters of its CPU less a
 * quarter core and 70% of its memory, so one controller (below) and the node's daemon sets fit
 * beside it; heap up to 6 GiB, since Kafka serves reads from the page cache, not the heap.
 */
export function brokerResourcesForNode(vcpus: number): KafkaPodResources {
  positiveInteger('StrimziKafkaChart', 'vcpus', vcpus);
  return { cpuMillis: vcpus * 750 - 250, memoryMib: Math.floor(vcpus * 4 * 1024 * 0.7), heapMib: Math.min(6, vcpus) * 1024 };
}

/** A KRaft controller: metadata only, small. */
export const CONTROLLER_RESOURCES: KafkaPodResources = { cpuMillis: 250, memoryMib: 1536, heapMib: 768 };
/** Volume of a controller's metadata log, GiB. */
export const CONTROLLER_VOLUME_GIB = 20;

/** Properties of a {@link StrimziKafkaChart}. */
export interface StrimziKafkaChartProps extends ChartProps {
  /** Namespace of the cluster, its topic and users (created by the namespace chart). @default 'flight-analytics' */
  readonly namespace?: string;
  /** The deployment's capacity plan: the topic (partitions, replication, retention) and the brokers' defaults come from it. */
  readonly plan: CapacityPlan;
  /** The events topic. @default FLIGHT_EVENTS_TOPIC ('flight-events') */
  readonly topic?: string;
  /** Brokers: a multiple of the zone count, spread evenly over the zones. @default plan.msk.brokers */
  readonly brokerReplicas?: number;
  /** EBS volume per broker, GiB (1..16384, gp3's limit). @default plan.msk.storagePerBrokerGib */
  readonly brokerVolumeGiB?: number;
  /** @default brokerResourcesForNode(vCPUs of the plan's broker type) */
  readonly brokerResources?: KafkaPodResources;
  /** gp3 throughput of each volume, MiB/s (125..1000). @default the plan's provisioned storage throughput, else 250 */
  readonly volumeThroughputMibPerSecond?: number;
  /** KafkaUser of the producers (Write, Describe on the topic; IdempotentWrite). @default 'flight-producer' */
  readonly producerUser?: string;
  /** KafkaUser of the Spark job (Read, Describe on the topic; Read on its group). @default 'flight-analytics-spark' */
  readonly sparkUser?: string;
  /** The only consumer group the Spark user may use (the job's `kafka.group.id`). @default 'flight-analytics-spark' */
  readonly sparkConsumerGroup?: string;
  /** Label value of the node groups the Kafka pods run on. @default 'kafka' */
  readonly nodeGroup?: string;
}

/**
 * - a StorageClass of encrypted gp3 volumes (EBS CSI driver), bound where the pod is scheduled,
 * - a `Kafka` (KRaft, version from versions.json) with one internal TLS listener that requires
 *   client certificates, simple ACL authorization, rack awareness by zone, and the shared broker settings,
 * - `KafkaNodePool`s of 3 controllers and N brokers on the Kafka node groups, spread evenly over the zones,
 * - a `KafkaTopic` for the events, sized by the plan, with min.insync.replicas=2,
 * - a `KafkaUser` per client with only the ACLs that client needs.
 *
 * Apply it after the namespace and the Strimzi operator (which installs the CRDs); the producer and
 * Spark charts then point at {@link strimziBootstrapServers} with {@link strimziClientTls}.
 */
export class StrimziKafkaChart extends Chart {
  public readonly kafka: Kafka;
  public readonly controllers: KafkaNodePool;
  public readonly brokers: KafkaNodePool;
  public readonly topic: KafkaTopic;
  public readonly producerUser: KafkaUser;
  public readonly sparkUser: KafkaUser;

  public constructor(scope: Construct, id: string, props: StrimziKafkaChartProps) {
    super(scope, id, props);
    const chart = 'StrimziKafkaChart';
    const { plan } = props;
    const namespace = requireText(chart, 'namespace', props.namespace ?? WORKLOAD_NAMESPACE);
    const topicName = requireText(chart, 'topic', props.topic ?? FLIGHT_EVENTS_TOPIC);
    const nodeGroup = requireText(chart, 'nodeGroup', props.nodeGroup ?? NODE_GROUP_LABELS.kafka);
    const brokerReplicas = positiveInteger(chart, 'brokerReplicas', props.brokerReplicas ?? plan.msk.brokers.value);
    if (brokerReplicas % AVAILABILITY_ZONE_COUNT !== 0) {
      throw new Error(`${chart}: brokerReplicas must be a multiple of ${AVAILABILITY_ZONE_COUNT} (the same number in each zone), got ${brokerReplicas}`);
    }
    const brokerVolumeGiB = positiveInteger(chart, 'brokerVolumeGiB', props.brokerVolumeGiB ?? plan.msk.storagePerBrokerGib.value);
    if (brokerVolumeGiB > 16_384) {
      throw new Error(`${chart}: brokerVolumeGiB must be at most 16384 (a gp3 volume's limit), got ${brokerVolumeGiB}`);
    }
    const brokerResources = props.brokerResources ?? brokerResourcesForNode(mskBrokerType(`${chart}: plan.msk.brokerType`, plan.msk.brokerType.value).vcpus);
    const throughput = props.volumeThroughputMibPerSecond ?? Math.ceil(plan.msk.provisionedStorageThroughputMibPerSecond ?? 250);
    if (!Number.isInteger(throughput) || throughput < 125 || throughput > 1000) {
      throw new Error(`${chart}: volumeThroughputMibPerSecond must be a whole number from 125 to 1000 (gp3), got ${throughput}`);
    }
    const producerUser = requireText(chart, 'producerUser', props.producerUser ?? PRODUCER_SERVICE_ACCOUNT);
    const sparkUser = requireText(chart, 'sparkUser', props.sparkUser ?? SPARK_SERVICE_ACCOUNT);
    const sparkConsumerGroup = requireText(chart, 'sparkConsumerGroup', props.sparkConsumerGroup ?? SPARK_CONSUMER_GROUP);
    const clusterLabel = { 'strimzi.io/cluster': STRIMZI_KAFKA_CLUSTER_NAME };
    const partOf = { 'app.kubernetes.io/part-of': WORKLOAD_NAMESPACE };

    new ApiObject(this, 'StorageClass', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: KAFKA_STORAGE_CLASS, labels: partOf },
      provisioner: 'ebs.csi.aws.com',
      // A volume is created in the zone of the pod that first claims it, and stays there.
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      // Brokers and controllers keep their data if a claim is deleted by mistake.
      reclaimPolicy: 'Retain',
      parameters: {
        type: 'gp3',
        encrypted: 'true',
        throughput: String(throughput),
        // gp3 allows at most 0.25 MiB/s per provisioned IOPS.
        iops: String(Math.max(3000, throughput * 4)),
      },
    });

    const metricsConfigMap = new ApiObject(this, 'MetricsConfig', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: KAFKA_METRICS_CONFIG_MAP, namespace, labels: partOf },
      data: { [KAFKA_METRICS_CONFIG_KEY]: kafkaJmxExporterConfig() },
    });

    this.kafka = new Kafka(this, 'Kafka', {
      metadata: { name: STRIMZI_KAFKA_CLUSTER_NAME, namespace, labels: partOf },
      spec: {
        kafka: {
          version: versions.kafka,
          listeners: [
            {
              name: 'tls',
              port: STRIMZI_TLS_LISTENER_PORT,
              type: KafkaSpecKafkaListenersType.INTERNAL,
              tls: true,
              // Clients prove who they are with a certificate the User Operator issues and rotates;
              // no password exists to leak, and the certificate names the KafkaUser the ACLs are for.
              authentication: { type: KafkaSpecKafkaListenersAuthenticationType.TLS },
              // Strimzi writes a NetworkPolicy: only the pipeline's pods may reach the listener.
              networkPolicyPeers: [{ podSelector: { matchLabels: partOf } }],
            },
          ],
          authorization: { type: KafkaSpecKafkaAuthorizationType.SIMPLE },
          // Each broker and controller serves Prometheus metrics on port 9404 (tcp-prometheus),
          // named by our rules; Strimzi's network policy lets anything in the cluster scrape it.
          metricsConfig: {
            type: KafkaSpecKafkaMetricsConfigType.JMX_PROMETHEUS_EXPORTER,
            valueFrom: { configMapKeyRef: { name: KAFKA_METRICS_CONFIG_MAP, key: KAFKA_METRICS_CONFIG_KEY } },
          },
          // broker.rack = the node's zone, so the three replicas of a partition land in three zones.
          rack: { topologyKey: ZONE_TOPOLOGY_KEY },
          config: {
            ...KAFKA_SERVER_PROPERTIES,
            // Kafka's internal topics get the same durability as the events topic.
            'offsets.topic.replication.factor': '3',
            'transaction.state.log.replication.factor': '3',
            'transaction.state.log.min.isr': '2',
          },
        },
        entityOperator: { topicOperator: {}, userOperator: {} },
      },
    });

    const pool = (poolId: string, name: string, replicas: number, role: KafkaNodePoolSpecRoles, resources: KafkaPodResources, volumeGiB: number): KafkaNodePool =>
      new KafkaNodePool(this, poolId, {
        metadata: { name, namespace, labels: { ...clusterLabel, ...partOf } },
        spec: {
          replicas,
          roles: [role],
          storage: {
            type: KafkaNodePoolSpecStorageType.JBOD,
            volumes: [{ id: 0, type: KafkaNodePoolSpecStorageVolumesType.PERSISTENT_HYPHEN_CLAIM, size: `${volumeGiB}Gi`, class: KAFKA_STORAGE_CLASS, deleteClaim: false }],
          },
          resources: {
            requests: { cpu: KafkaNodePoolSpecResourcesRequests.fromString(`${resources.cpuMillis}m`), memory: KafkaNodePoolSpecResourcesRequests.fromString(`${resources.memoryMib}Mi`) },
            limits: { cpu: KafkaNodePoolSpecResourcesLimits.fromString(`${resources.cpuMillis}m`), memory: KafkaNodePoolSpecResourcesLimits.fromString(`${resources.memoryMib}Mi`) },
          },
          jvmOptions: { xms: `${resources.heapMib}m`, xmx: `${resources.heapMib}m` },
          template: { pod: kafkaPodTemplate(name, nodeGroup) },
        },
      });
    this.controllers = pool('Controllers', 'controllers', STRIMZI_CONTROLLER_REPLICAS, KafkaNodePoolSpecRoles.CONTROLLER, CONTROLLER_RESOURCES, CONTROLLER_VOLUME_GIB);
    this.brokers = pool('Brokers', 'brokers', brokerReplicas, KafkaNodePoolSpecRoles.BROKER, brokerResources, brokerVolumeGiB);

    this.topic = new KafkaTopic(this, 'Topic', {
      metadata: { name: topicName, namespace, labels: { ...clusterLabel, ...partOf } },
      spec: {
        partitions: positiveInteger(chart, 'plan.topic.partitions', plan.topic.partitions.value),
        replicas: plan.topic.replicationFactor,
        config: {
          'min.insync.replicas': KAFKA_SERVER_PROPERTIES['min.insync.replicas'],
          'retention.ms': String(Math.round(plan.topic.retentionHours * 3_600_000)),
        },
      },
    });

    const topicAcl = (...operations: KafkaUserSpecAuthorizationAclsOperations[]): KafkaUserSpecAuthorizationAcls => ({
      resource: { type: KafkaUserSpecAuthorizationAclsResourceType.TOPIC, name: topicName, patternType: KafkaUserSpecAuthorizationAclsResourcePatternType.LITERAL },
      operations,
    });
    const user = (userId: string, name: string, acls: KafkaUserSpecAuthorizationAcls[]): KafkaUser =>
      new KafkaUser(this, userId, {
        metadata: { name, namespace, labels: { ...clusterLabel, ...partOf } },
        spec: {
          authentication: { type: KafkaUserSpecAuthenticationType.TLS },
          authorization: { type: KafkaUserSpecAuthorizationType.SIMPLE, acls },
        },
      });
    // The same permissions as the IAM policies of lib/identities.ts give the MSK clients, less
    // CreateTopic: the KafkaTopic above creates the topic.
    this.producerUser = user('ProducerUser', producerUser, [
      topicAcl(KafkaUserSpecAuthorizationAclsOperations.WRITE, KafkaUserSpecAuthorizationAclsOperations.DESCRIBE),
      { resource: { type: KafkaUserSpecAuthorizationAclsResourceType.CLUSTER }, operations: [KafkaUserSpecAuthorizationAclsOperations.IDEMPOTENT_WRITE] },
    ]);
    this.sparkUser = user('SparkUser', sparkUser, [
      topicAcl(KafkaUserSpecAuthorizationAclsOperations.READ, KafkaUserSpecAuthorizationAclsOperations.DESCRIBE),
      {
        resource: { type: KafkaUserSpecAuthorizationAclsResourceType.GROUP, name: sparkConsumerGroup, patternType: KafkaUserSpecAuthorizationAclsResourcePatternType.LITERAL },
        operations: [KafkaUserSpecAuthorizationAclsOperations.READ],
      },
    ]);

    this.kafka.node.addDependency(metricsConfigMap);
    // The operator reconciles pools and the topic against the Kafka; apply them together, Kafka first.
    for (const dependent of [this.controllers, this.brokers, this.topic, this.producerUser, this.sparkUser]) {
      dependent.node.addDependency(this.kafka);
    }
  }
}

/** On the Kafka node groups (their taint tolerated), evenly over the zones, one pod per node where possible. */
function kafkaPodTemplate(poolName: string, nodeGroup: string): KafkaNodePoolSpecTemplatePod {
  const placement = nodeGroupPlacement(nodeGroup);
  const poolSelector = { matchLabels: { 'strimzi.io/cluster': STRIMZI_KAFKA_CLUSTER_NAME, 'strimzi.io/pool-name': poolName } };
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: WORKLOAD_LABEL_KEY, operator: 'In', values: [nodeGroup] }] }],
        },
      },
    },
    tolerations: placement.tolerations,
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: ZONE_TOPOLOGY_KEY, whenUnsatisfiable: 'DoNotSchedule', labelSelector: poolSelector },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: poolSelector },
    ],
  };
}

