/**
 * The producer fleet: pods that generate flight events and send them to Kafka.
 */
import { createHash } from 'node:crypto';
import { ApiObject, Chart, type ChartProps, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { FLIGHT_EVENTS_TOPIC, PRODUCER_SERVICE_ACCOUNT, WORKLOAD_NAMESPACE } from '../deploy/names.ts';
import type { CapacityPlan } from '../deploy/plan/capacity-plan.ts';
import { type KafkaSecurity, requireKafkaSecurity } from './kafka-security.ts';
import { PRODUCER_UID, restrictedContainerSecurityContext } from './pod-security.ts';
import { NODE_GROUP_LABELS, nodeGroupPlacement, ZONE_TOPOLOGY_KEY } from './scheduling.ts';
import { positiveInteger, requireText } from './validation.ts';

export { PRODUCER_UID } from './pod-security.ts';

/** Name of the producer's StatefulSet, ServiceAccount, ConfigMap, Service and pod labels. */
export const PRODUCER_NAME = 'flight-producer';

/** Image used when none is given: the one `make` builds and loads into a local cluster. */
export const DEFAULT_PRODUCER_IMAGE = 'flight-producer:local';

/** Port of the producer's /metrics, /healthz and /readyz (`--metrics-port`, PRODUCER_METRICS_PORT). */
export const PRODUCER_METRICS_PORT = 9464;

/**
 * Label the StatefulSet controller puts on each pod with its ordinal (0..replicas-1); GA since
 * Kubernetes 1.32 (PodIndexLabel). The producer reads it as its worker id through the downward API.
 */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/**
 * Seconds a producer pod has between SIGTERM and SIGKILL: enough to flush the events it has
 * batched, wait for every in-flight request's acks=all response (the sender's request timeout is
 * 30 s) and print its PRODUCER_RESULT line.
 */
export const PRODUCER_TERMINATION_GRACE_SECONDS = 60;

/** CPU and memory of one producer container. */
export interface ProducerResources {
  /** CPU the scheduler reserves for the container, in millicores (1000 = one core). @default - the plan's producer CPU (1000) */
  readonly cpuRequestMillis?: number;
  /**
   * CPU the container may use before it is throttled, in millicores; >= `cpuRequestMillis`.
   * Above the request because Node's GC and zlib threads run beside the event loop.
   * @default - twice the request
   */
  readonly cpuLimitMillis?: number;
  /**
   * Memory request and limit, in MiB. They are equal so a producer is never OOM-killed because a
   * neighbour used memory the node had overcommitted.
   * @default - the plan's producer memory (1024)
   */
  readonly memoryMebibytes?: number;
}

/**
 * What every chart that runs the producer image needs to reach Kafka: the producer fleet and the
 * topic Job. Every string may be a CDK token.
 */
export interface ProducerImageKafkaProps extends ChartProps {
  /** Kafka bootstrap servers, `host:port[,host:port...]` (PRODUCER_BOOTSTRAP). */
  readonly bootstrapServers: string;
  /** Kafka topic of the flight events (PRODUCER_TOPIC). @default FLIGHT_EVENTS_TOPIC ('flight-events') */
  readonly topic?: string;
  /**
   * Producer image reference. Pulled only if the node does not have it (`IfNotPresent`), so use an
   * immutable tag or a digest for anything but local development.
   * @default 'flight-producer:local'
   */
  readonly image?: string;
  /**
   * ServiceAccount the pods run as (created by {@link FlightAnalyticsNamespaceChart}); the CDK stack
   * binds the producer's IAM role to it with an EKS Pod Identity association. That role may also
   * create the topic, so the topic Job uses it too.
   * @default 'flight-producer'
   */
  readonly serviceAccountName?: string;
  /** Namespace of every object (created by {@link FlightAnalyticsNamespaceChart}). @default 'flight-analytics' */
  readonly namespace?: string;
  /** The deployment's capacity plan, which the sizes come from. */
  readonly plan: CapacityPlan;
  /**
   * How the pods authenticate to Kafka: `msk-iam` (PRODUCER_SECURITY=msk-iam: TLS + SASL OAUTHBEARER
   * signed with the pod's IAM role) or `mtls` (PRODUCER_SECURITY=tls with the client certificate of
   * the Secrets, mounted read-only under /etc/kafka and named in PRODUCER_TLS_* variables).
   */
  readonly kafkaSecurity: KafkaSecurity;
  /** Region of the MSK cluster, for `msk-iam` (PRODUCER_AWS_REGION). @default - AWS_REGION in the pod */
  readonly awsRegion?: string;
  /** Label value of the node group the pods run on (`flight-analytics/workload`). @default 'producers' */
  readonly nodeGroup?: string;
  /**
   * More PRODUCER_* settings, e.g. PRODUCER_COMPRESSION or PRODUCER_TLS_CA_FILE. They cannot
   * override the ones the chart sets.
   * @default {}
   */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
}

/** Properties of a {@link ProducerChart}. Every string may be a CDK token. */
export interface ProducerChartProps extends ProducerImageKafkaProps {
  /** Number of producer pods (a whole number >= 1). @default plan.producer.replicas */
  readonly replicas?: number;
  /**
   * Events per second each pod sends (PRODUCER_RATE); 0 = as fast as it can.
   * @default - the plan's target rate / replicas, so the fleet sends the target and the headroom stays spare
   */
  readonly eventsPerSecondPerPod?: number;
  /** CPU and memory of each producer container. @default - see {@link ProducerResources} */
  readonly resources?: ProducerResources;
}

/** Where the producer finds the cluster CA and its client certificate with `mtls`. */
export const PRODUCER_CLIENT_TLS_FILES = {
  PRODUCER_TLS_CA_FILE: '/etc/kafka/cluster-ca/ca.crt',
  PRODUCER_TLS_CERT_FILE: '/etc/kafka/user/user.crt',
  PRODUCER_TLS_KEY_FILE: '/etc/kafka/user/user.key',
} as const;

/**
 * The `flight-producer` ConfigMap, headless Service, StatefulSet and PodDisruptionBudget in the
 * `flight-analytics` namespace; the pods run as the `flight-producer` ServiceAccount.
 *
 * A StatefulSet rather than a Deployment, because every producer needs its own worker id (otherwise
 * two pods generate the same event ids): pod N gets `PRODUCER_WORKER_ID=N` from its
 * `apps.kubernetes.io/pod-index` label, and keeps N across restarts and reschedules. Pods start in
 * parallel; ordering buys nothing here.
 *
 * The pods meet the "restricted" Pod Security Standard (UID 10001, read-only root filesystem with a
 * small /tmp emptyDir, no privilege escalation, no capabilities, RuntimeDefault seccomp), spread
 * evenly over the zones, run on the producer node group, and get no Kubernetes API token.
 */
export class ProducerChart extends Chart {
  public readonly serviceAccount: kplus.IServiceAccount;
  public readonly configMap: kplus.ConfigMap;
  public readonly service: kplus.Service;
  public readonly statefulSet: kplus.StatefulSet;
  public readonly podDisruptionBudget: ApiObject;

  public constructor(scope: Construct, id: string, props: ProducerChartProps) {
    super(scope, id, props);
    const chart = 'ProducerChart';
    const { plan } = props;
    const namespace = requireText(chart, 'namespace', props.namespace ?? WORKLOAD_NAMESPACE);
    const bootstrapServers = requireText(chart, 'bootstrapServers', props.bootstrapServers);
    const topic = requireText(chart, 'topic', props.topic ?? FLIGHT_EVENTS_TOPIC);
    const kafkaSecurity = requireKafkaSecurity(chart, props.kafkaSecurity);
    const image = requireText(chart, 'image', props.image ?? DEFAULT_PRODUCER_IMAGE);
    const serviceAccountName = requireText(chart, 'serviceAccountName', props.serviceAccountName ?? PRODUCER_SERVICE_ACCOUNT);
    const nodeGroup = requireText(chart, 'nodeGroup', props.nodeGroup ?? NODE_GROUP_LABELS.producers);
    const replicas = positiveInteger(chart, 'replicas', props.replicas ?? plan.producer.replicas.value);
    const eventsPerSecondPerPod =
      props.eventsPerSecondPerPod ?? Math.ceil(plan.rates.targetEventsPerSecond / replicas);
    if (!Number.isInteger(eventsPerSecondPerPod) || eventsPerSecondPerPod < 0) {
      throw new Error(`${chart}: eventsPerSecondPerPod must be a whole number >= 0 (0 = unlimited), got ${eventsPerSecondPerPod}`);
    }
    const cpuRequestMillis = positiveInteger(chart, 'resources.cpuRequestMillis', props.resources?.cpuRequestMillis ?? plan.producer.cpuMillis);
    const cpuLimitMillis = positiveInteger(chart, 'resources.cpuLimitMillis', props.resources?.cpuLimitMillis ?? cpuRequestMillis * 2);
    const memoryMebibytes = positiveInteger(chart, 'resources.memoryMebibytes', props.resources?.memoryMebibytes ?? plan.producer.memoryMib);
    if (cpuLimitMillis < cpuRequestMillis) {
      throw new Error(`${chart}: resources.cpuLimitMillis (${cpuLimitMillis}) must be >= resources.cpuRequestMillis (${cpuRequestMillis})`);
    }

    const labels = { 'app.kubernetes.io/name': PRODUCER_NAME, 'app.kubernetes.io/part-of': WORKLOAD_NAMESPACE };
    const metadata = (name: string) => ({ name, namespace, labels });

    this.serviceAccount = kplus.ServiceAccount.fromServiceAccountName(this, 'ServiceAccount', serviceAccountName);

    const clientTls =
      kafkaSecurity.kind !== 'mtls'
        ? undefined
        : {
            clusterCaSecret: requireText(chart, 'kafkaSecurity.clusterCaSecret', kafkaSecurity.clusterCaSecret),
            userSecret: requireText(chart, 'kafkaSecurity.userSecret', kafkaSecurity.userSecret),
          };

    const chartEnvironment: Record<string, string> = {
      ...producerKafkaEnvironment(chart, bootstrapServers, topic, kafkaSecurity, props.awsRegion),
      ...(clientTls === undefined ? {} : PRODUCER_CLIENT_TLS_FILES),
      PRODUCER_RATE: String(eventsPerSecondPerPod),
      PRODUCER_METRICS_PORT: String(PRODUCER_METRICS_PORT),
      // The kubelet probes and Prometheus scrapes the pod IP; the producer binds 127.0.0.1 by default.
      PRODUCER_METRICS_HOST: '0.0.0.0',
      // One worker thread per pod: worker i of a pod would simulate worker id (PRODUCER_WORKER_ID + i),
      // colliding with the next pod's ids. Scale with replicas instead.
      PRODUCER_WORKERS: '1',
      PRODUCER_LOG_FORMAT: 'json',
    };
    for (const name of Object.keys(props.extraEnvironment ?? {})) {
      if (name in chartEnvironment || name === 'PRODUCER_WORKER_ID') {
        throw new Error(`${chart}: extraEnvironment must not set ${name}; the chart sets it (use the matching prop)`);
      }
    }
    this.configMap = new kplus.ConfigMap(this, 'ConfigMap', {
      metadata: metadata(PRODUCER_NAME),
      data: { ...props.extraEnvironment, ...chartEnvironment },
    });
    // A changed ConfigMap does not restart pods by itself; a changed pod annotation does.
    // Unresolved CDK tokens (e.g. the MSK brokers, `${Token[...]}`) are numbered in creation order, so
    // they are hashed as a fixed marker: the hash must not change between two syntheses of the same
    // app. A token whose deployed value changes therefore does not roll the pods by itself.
    const stableData = JSON.stringify(this.configMap.data).replace(/\$\{Token\[[^\]]*\]\}/g, '${Token}');
    const configHash = createHash('sha256').update(stableData).digest('hex').slice(0, 16);

    // The headless Service a StatefulSet needs; it also lists the pods' metrics endpoints.
    this.service = new kplus.Service(this, 'Service', {
      metadata: metadata(PRODUCER_NAME),
      clusterIP: 'None',
      ports: [{ name: 'metrics', port: PRODUCER_METRICS_PORT, targetPort: PRODUCER_METRICS_PORT }],
    });
    for (const [key, value] of Object.entries(labels)) this.service.selectLabel(key, value);

    const tmp = kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: metadata(PRODUCER_NAME),
      service: this.service,
      replicas,
      podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
      // Select on our own stable labels instead of cdk8s's construct-path label: a StatefulSet's
      // selector cannot change after creation.
      select: false,
      podMetadata: {
        labels,
        annotations: {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(PRODUCER_METRICS_PORT),
          'prometheus.io/path': '/metrics',
          'flight-analytics/config-sha256': configHash,
        },
      },
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(PRODUCER_TERMINATION_GRACE_SECONDS),
      securityContext: { ensureNonRoot: true, user: PRODUCER_UID, group: PRODUCER_UID },
      containers: [
        {
          name: 'producer',
          image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          // Everything else comes from the ConfigMap as PRODUCER_* variables (see producer/src/config.ts).
          args: ['produce'],
          envFrom: [kplus.Env.fromConfigMap(this.configMap)],
          envVariables: {
            PRODUCER_WORKER_ID: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_LABEL, { key: POD_INDEX_LABEL }),
          },
          ports: [{ name: 'metrics', number: PRODUCER_METRICS_PORT }],
          liveness: kplus.Probe.fromHttpGet('/healthz', {
            port: PRODUCER_METRICS_PORT,
            initialDelaySeconds: Duration.seconds(10),
            periodSeconds: Duration.seconds(10),
            failureThreshold: 3,
          }),
          // Ready once connected to Kafka; not ready while it cannot send (the pod keeps running).
          readiness: kplus.Probe.fromHttpGet('/readyz', {
            port: PRODUCER_METRICS_PORT,
            periodSeconds: Duration.seconds(5),
            failureThreshold: 2,
          }),
          resources: {
            cpu: { request: kplus.Cpu.millis(cpuRequestMillis), limit: kplus.Cpu.millis(cpuLimitMillis) },
            memory: { request: Size.mebibytes(memoryMebibytes), limit: Size.mebibytes(memoryMebibytes) },
          },
          securityContext: restrictedContainerSecurityContext(PRODUCER_UID),
          volumeMounts: [{ path: '/tmp', volume: tmp }],
        },
      ],
    });
    // Secret volumes are added with the /tmp volume in the patch below (see the comment there).
    const secretVolumes =
      clientTls === undefined
        ? []
        : [
            { name: 'kafka-cluster-ca', secret: { secretName: clientTls.clusterCaSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { name: 'kafka-user', secret: { secretName: clientTls.userSecret, items: [{ key: 'user.crt', path: 'user.crt' }, { key: 'user.key', path: 'user.key' }] } },
          ];
    this.statefulSet.select(kplus.LabelSelector.of({ labels }));

    const placement = nodeGroupPlacement(nodeGroup);
    const statefulSetObject = ApiObject.of(this.statefulSet);
    statefulSetObject.addJsonPatch(
      // cdk8s-plus-34's StatefulSet drops the pod's volumes when it has no volumeClaimTemplates
      // (_filterPodSpecVolumes returns undefined), leaving the /tmp mount dangling: add it back.
      // Patches pass through the generated KubeStatefulSet serializer, which reads a Quantity's `value`.
      JsonPatch.add('/spec/template/spec/volumes', [{ name: tmp.name, emptyDir: { sizeLimit: { value: '64Mi' } } }, ...secretVolumes]),
      ...(secretVolumes.length === 0
        ? []
        : [
            JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', { name: 'kafka-cluster-ca', mountPath: '/etc/kafka/cluster-ca', readOnly: true }),
            JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', { name: 'kafka-user', mountPath: '/etc/kafka/user', readOnly: true }),
          ]),
      JsonPatch.add('/spec/template/spec/nodeSelector', placement.nodeSelector),
      JsonPatch.add('/spec/template/spec/tolerations', placement.tolerations),
      // Even across zones (a zone outage takes at most a third of the fleet), best effort across nodes.
      JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
        { maxSkew: 1, topologyKey: ZONE_TOPOLOGY_KEY, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } },
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labels } },
      ]),
    );

    // Voluntary evictions (node drains, upgrades) take one producer at a time.
    this.podDisruptionBudget = new ApiObject(this, 'PodDisruptionBudget', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: metadata(PRODUCER_NAME),
      spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
    });
  }
}

/**
 * PRODUCER_* variables that say where Kafka is and how to reach it; shared by the fleet and the topic
 * Job. `mtls` is the producer's `tls` security; the chart mounts the certificate files it names.
 */
export function producerKafkaEnvironment(
  chart: string,
  bootstrapServers: string,
  topic: string,
  kafkaSecurity: KafkaSecurity,
  awsRegion?: string,
): Record<string, string> {
  return {
    PRODUCER_BOOTSTRAP: bootstrapServers,
    PRODUCER_TOPIC: topic,
    PRODUCER_SECURITY: requireKafkaSecurity(chart, kafkaSecurity).kind === 'msk-iam' ? 'msk-iam' : 'tls',
    ...(awsRegion === undefined ? {} : { PRODUCER_AWS_REGION: requireText(chart, 'awsRegion', awsRegion) }),
  };
}
