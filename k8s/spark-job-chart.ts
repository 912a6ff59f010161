/**
 * The Spark job: one SparkApplication (kubeflow spark-operator, sparkoperator.k8s.io/v1beta2) that
 * reads the flight-events topic and writes Parquet and checkpoints to S3.
 */
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { FLIGHT_EVENTS_TOPIC, SPARK_SERVICE_ACCOUNT, WORKLOAD_NAMESPACE } from '../deploy/names.ts';
import type { CapacityPlan } from '../deploy/plan/capacity-plan.ts';
import { versions } from '../deploy/versions.ts';
import {
  SparkApplication,
  SparkApplicationSpecMode,
  SparkApplicationSpecPythonVersion,
  SparkApplicationSpecRestartPolicyType,
  SparkApplicationSpecType,
} from './imports/sparkoperator.k8s.io.ts';
import { type KafkaSecurity, requireKafkaSecurity } from './kafka-security.ts';
import { NODE_GROUP_LABELS, nodeGroupPlacement } from './scheduling.ts';
import { productionSparkConf, SPARK_JAVA_OPTIONS } from './spark-conf.ts';
import { positiveInteger, requireText } from './validation.ts';

/** Name of the SparkApplication (its driver pod is `flight-analytics-driver`). */
export const SPARK_APPLICATION_NAME = 'flight-analytics';

/** Image used when none is given: the one `make` builds for a local cluster. */
export const DEFAULT_SPARK_JOB_IMAGE = 'flight-analytics-spark:local';

/**
 * The job's entry point inside the image. `local://` means "already in the container": the image
 * copies spark-jobs/ to /opt/flight-analytics, so nothing is fetched at submit time (and the Kafka
 * connector jars are baked in too, because `deps.packages` may not reach executors, operator #1132).
 */
export const MAIN_APPLICATION_FILE = 'local:///opt/flight-analytics/main.py';
/** The Prometheus JMX exporter agent in the Spark image (spark-jobs/Dockerfile puts it there). */
export const JMX_EXPORTER_JAR = '/opt/flight-analytics/jmx_prometheus_javaagent.jar';

/** UID of the `spark` user in the official apache/spark images. */
export const SPARK_UID = 185;

/** Port the Prometheus JMX exporter java agent listens on in the driver and executors. */
export const SPARK_METRICS_PORT = 8090;
/** Name of that port on the driver and executor containers (the operator's webhook adds it); the PodMonitor scrapes it by name. */
export const SPARK_JMX_EXPORTER_PORT_NAME = 'jmx-exporter';

/**
 * Port of the job's own Prometheus endpoint in the driver (`--metrics-port`): per-query rates, batch
 * durations, Kafka lag per partition, valid/quarantined/window row counters (docs/spark-job.md).
 * Named `job-metrics` on the driver container for a scrape config or PodMonitor; the pod's
 * prometheus.io/port annotation stays on the JMX exporter.
 */
export const SPARK_JOB_METRICS_PORT = 9091;
/** Name of the driver's job-metrics port; the PodMonitor (k8s/monitoring-chart.ts) scrapes it by name. */
export const SPARK_JOB_METRICS_PORT_NAME = 'job-metrics';

/** Kafka source options for MSK with IAM auth over TLS (needs the aws-msk-iam-auth jar in the image). */
export const MSK_IAM_KAFKA_OPTIONS: Readonly<Record<string, string>> = {
  'kafka.security.protocol': 'SASL_SSL',
  'kafka.sasl.mechanism': 'AWS_MSK_IAM',
  'kafka.sasl.jaas.config': 'software.amazon.msk.auth.iam.IAMLoginModule required;',
  'kafka.sasl.client.callback.handler.class': 'software.amazon.msk.auth.iam.IAMClientCallbackHandler',
};

/** Where the driver and executors mount the cluster CA and their client certificate with `mtls`. */
export const SPARK_KAFKA_CLUSTER_CA_DIR = '/etc/kafka/cluster-ca';
export const SPARK_KAFKA_CLIENT_CERT_DIR = '/etc/kafka/user';

/**
 * Kafka source options for a broker that requires TLS client certificates (Strimzi). The PEM files
 * are mounted from Secrets; the key and certificate reach the consumer through Kafka's
 * DirectoryConfigProvider, which reads them from the mounted files when the consumer starts, so they
 * never appear in the SparkApplication, the Spark UI or the event log.
 */
export const CLIENT_TLS_KAFKA_OPTIONS: Readonly<Record<string, string>> = {
  'kafka.security.protocol': 'SSL',
  'kafka.ssl.truststore.type': 'PEM',
  'kafka.ssl.truststore.location': `${SPARK_KAFKA_CLUSTER_CA_DIR}/ca.crt`,
  'kafka.config.providers': 'directory',
  'kafka.config.providers.directory.class': 'org.apache.kafka.common.config.provider.DirectoryConfigProvider',
  'kafka.ssl.keystore.type': 'PEM',
  'kafka.ssl.keystore.certificate.chain': `\${directory:${SPARK_KAFKA_CLIENT_CERT_DIR}:user.crt}`,
  'kafka.ssl.keystore.key': `\${directory:${SPARK_KAFKA_CLIENT_CERT_DIR}:user.key}`,
};

/** Properties of a {@link SparkJobChart}. Every string may be a CDK token. */
export interface SparkJobChartProps extends ChartProps {
  /** Kafka bootstrap servers, `host:port[,host:port...]` (`--bootstrap`). */
  readonly bootstrapServers: string;
  /** Kafka topic of flight events (`--topic`). @default FLIGHT_EVENTS_TOPIC ('flight-events') */
  readonly topic?: string;
  /** S3 bucket for checkpoints (`s3a://<bucket>/checkpoints`) and output (`s3a://<bucket>/analytics`). */
  readonly bucketName: string;
  /** The Spark job image (built FROM `versions.images.spark`). @default 'flight-analytics-spark:local' */
  readonly image?: string;
  /**
   * Service account of the driver and executors, created by {@link FlightAnalyticsNamespaceChart}.
   * The spark-operator's Helm release binds its driver RBAC to it by name, and the CDK stack binds
   * the Spark IAM role to it with a Pod Identity association.
   * @default 'flight-analytics-spark'
   */
  readonly serviceAccountName?: string;
  /** @default 'flight-analytics' */
  readonly namespace?: string;
  /** The deployment's capacity plan, which the sizes come from. */
  readonly plan: CapacityPlan;
  /**
   * How the driver and executors authenticate to Kafka: `msk-iam` ({@link MSK_IAM_KAFKA_OPTIONS}) or
   * `mtls` (the Secrets are mounted in the driver and every executor and used through
   * {@link CLIENT_TLS_KAFKA_OPTIONS}).
   */
  readonly kafkaSecurity: KafkaSecurity;
  /** Kafka consumer group id (`kafka.group.id`); the Spark IAM role may only use this group. @default - Spark's generated id */
  readonly consumerGroupId?: string;
  /** AWS region of the bucket, for S3A (Pod Identity does not set AWS_REGION). @default - the SDK's region chain */
  readonly awsRegion?: string;
  /** Label values of the driver and executor node groups. @default 'spark-drivers' / 'spark-executors' */
  readonly driverNodeGroup?: string;
  readonly executorNodeGroup?: string;
  /**
   * Path of the Prometheus JMX exporter java agent jar in the image.
   * @default '/opt/flight-analytics/jmx_prometheus_javaagent.jar'
   */
  readonly jmxExporterJar?: string;
}

/**
 * --max-event-ahead for the simulated producer fleet: how far event_time may run ahead of the Kafka
 * timestamp before the job quarantines an event (spark-jobs/flight_analytics/plausibility.py).
 * With producers that report real events as they happen, drop it to keep the 1-hour default.
 */
export const SIMULATED_FLEET_MAX_EVENT_AHEAD = '3650 days';

/**
 * A streaming SparkApplication: Python, cluster mode, image and sparkVersion from versions.json,
 * sized by the capacity plan, restarted on failure, on its own driver and executor node groups.
 */
export class SparkJobChart extends Chart {
  public readonly sparkApplication: SparkApplication;

  public constructor(scope: Construct, id: string, props: SparkJobChartProps) {
    super(scope, id, props);
    const chart = 'SparkJobChart';
    const { plan } = props;
    const namespace = requireText(chart, 'namespace', props.namespace ?? WORKLOAD_NAMESPACE);
    const bootstrapServers = requireText(chart, 'bootstrapServers', props.bootstrapServers);
    const topic = requireText(chart, 'topic', props.topic ?? FLIGHT_EVENTS_TOPIC);
    const kafkaSecurity = requireKafkaSecurity(chart, props.kafkaSecurity);
    const bucketName = requireText(chart, 'bucketName', props.bucketName);
    const image = requireText(chart, 'image', props.image ?? DEFAULT_SPARK_JOB_IMAGE);
    const serviceAccount = requireText(chart, 'serviceAccountName', props.serviceAccountName ?? SPARK_SERVICE_ACCOUNT);
    const driverNodeGroup = requireText(chart, 'driverNodeGroup', props.driverNodeGroup ?? NODE_GROUP_LABELS.sparkDrivers);
    const executorNodeGroup = requireText(chart, 'executorNodeGroup', props.executorNodeGroup ?? NODE_GROUP_LABELS.sparkExecutors);
    const executorInstances = positiveInteger(chart, 'plan.spark.executorInstances', plan.spark.executorInstances.value);

    const secrets =
      kafkaSecurity.kind !== 'mtls'
        ? undefined
        : [
            { name: requireText(chart, 'kafkaSecurity.clusterCaSecret', kafkaSecurity.clusterCaSecret), path: SPARK_KAFKA_CLUSTER_CA_DIR, secretType: 'Generic' },
            { name: requireText(chart, 'kafkaSecurity.userSecret', kafkaSecurity.userSecret), path: SPARK_KAFKA_CLIENT_CERT_DIR, secretType: 'Generic' },
          ];
    const kafkaOptions: Record<string, string> = {
      ...(kafkaSecurity.kind === 'msk-iam' ? MSK_IAM_KAFKA_OPTIONS : CLIENT_TLS_KAFKA_OPTIONS),
      ...(props.consumerGroupId ? { 'kafka.group.id': requireText(chart, 'consumerGroupId', props.consumerGroupId) } : {}),
    };
    const jobArguments = [
      '--bootstrap', bootstrapServers,
      '--topic', topic,
      '--output-dir', `s3a://${bucketName}/analytics`,
      '--checkpoint-dir', `s3a://${bucketName}/checkpoints`,
      '--trigger', `processing-time:${plan.spark.triggerSeconds}s`,
      '--max-offsets-per-trigger', String(plan.spark.maxOffsetsPerTrigger.value),
      '--starting-offsets', 'earliest',
      '--metrics-port', String(SPARK_JOB_METRICS_PORT),
      '--metrics-host', '0.0.0.0',
      // The producer fleet this stack deploys simulates flights far faster than real time, so its
      // event_time runs ahead of the Kafka timestamps; the job's 1-hour default (Kafka's own
      // log.message.timestamp.after.max.ms) is for producers that report events as they happen.
      '--max-event-ahead', SIMULATED_FLEET_MAX_EVENT_AHEAD,
      ...Object.entries(kafkaOptions).flatMap(([key, value]) => ['--kafka-option', `${key}=${value}`]),
    ];

    const labels = { 'app.kubernetes.io/name': SPARK_APPLICATION_NAME, 'app.kubernetes.io/part-of': WORKLOAD_NAMESPACE };
    // The "restricted" Pod Security Standard. The root filesystem stays writable: Spark writes its
    // work dir, Ivy cache and Python caches under /opt/spark and $HOME, and the standard does not
    // require a read-only root.
    const podSecurityContext = {
      runAsNonRoot: true,
      runAsUser: SPARK_UID,
      runAsGroup: SPARK_UID,
      fsGroup: SPARK_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    };
    const securityContext = {
      runAsNonRoot: true,
      runAsUser: SPARK_UID,
      runAsGroup: SPARK_UID,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    };
    const driverPlacement = nodeGroupPlacement(driverNodeGroup);
    const executorPlacement = nodeGroupPlacement(executorNodeGroup);

    this.sparkApplication = new SparkApplication(this, 'SparkApplication', {
      metadata: { name: SPARK_APPLICATION_NAME, namespace, labels },
      spec: {
        type: SparkApplicationSpecType.PYTHON,
        pythonVersion: SparkApplicationSpecPythonVersion.VALUE_3,
        mode: SparkApplicationSpecMode.CLUSTER,
        image,
        imagePullPolicy: 'IfNotPresent',
        sparkVersion: versions.spark,
        mainApplicationFile: MAIN_APPLICATION_FILE,
        arguments: jobArguments,
        sparkConf: productionSparkConf({
          shufflePartitions: plan.spark.shufflePartitions.value,
          rocksdbMaxMemoryMib: plan.spark.rocksdbMaxMemoryMib,
          ...(props.awsRegion ? { awsRegion: requireText(chart, 'awsRegion', props.awsRegion) } : {}),
        }),
        // A streaming job never finishes on purpose, so any exit is restarted, a bounded number of
        // times and with a pause, so a poison configuration does not hot-loop. The job exits non-zero
        // when a query fails: an app that throws can otherwise end COMPLETED (spark-operator #1402).
        restartPolicy: {
          type: SparkApplicationSpecRestartPolicyType.ON_FAILURE,
          onFailureRetries: 10,
          onFailureRetryInterval: 30,
          onSubmissionFailureRetries: 5,
          onSubmissionFailureRetryInterval: 60,
        },
        // Fixed executors: dynamic allocation is not streaming-aware. It scales on task backlog,
        // not on Kafka lag, and removing an executor of a stateful query moves its RocksDB state
        // partitions, reloading them from the checkpoint on S3 in the middle of a micro-batch.
        dynamicAllocation: { enabled: false },
        monitoring: {
          exposeDriverMetrics: true,
          exposeExecutorMetrics: true,
          prometheus: { jmxExporterJar: props.jmxExporterJar ?? JMX_EXPORTER_JAR, port: SPARK_METRICS_PORT, portName: SPARK_JMX_EXPORTER_PORT_NAME },
        },
        driver: {
          cores: plan.spark.driverCores,
          coreLimit: `${plan.spark.driverCores * 1000}m`,
          memory: `${plan.spark.driverMemoryMib}m`,
          serviceAccount,
          labels,
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(SPARK_METRICS_PORT) },
          ports: [{ name: SPARK_JOB_METRICS_PORT_NAME, containerPort: SPARK_JOB_METRICS_PORT, protocol: 'TCP' }],
          javaOptions: SPARK_JAVA_OPTIONS,
          nodeSelector: driverPlacement.nodeSelector,
          tolerations: driverPlacement.tolerations,
          podSecurityContext,
          securityContext,
          terminationGracePeriodSeconds: 60,
          ...(secrets === undefined ? {} : { secrets }),
        },
        executor: {
          instances: executorInstances,
          cores: plan.spark.executorCores,
          coreLimit: `${plan.spark.executorCores * 1000}m`,
          memory: `${plan.spark.executorMemoryMib}m`,
          memoryOverhead: `${plan.spark.executorMemoryOverheadMib}m`,
          serviceAccount,
          labels,
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(SPARK_METRICS_PORT) },
          javaOptions: SPARK_JAVA_OPTIONS,
          nodeSelector: executorPlacement.nodeSelector,
          tolerations: executorPlacement.tolerations,
          podSecurityContext,
          securityContext,
          ...(secrets === undefined ? {} : { secrets }),
        },
      },
    });
  }
}
