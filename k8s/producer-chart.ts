/**
 * The producer fleet: pods that generate flight events and send them to Kafka.
 */
import { Chart, type ChartProps, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { FLIGHT_ANALYTICS_NAMESPACE, FlightAnalyticsNamespace } from './namespace.ts';

/** Name of the producer's Deployment, ServiceAccount and pod labels. */
export const PRODUCER_NAME = 'flight-producer';

/** Image used when none is given: the one `make` builds and loads into a local cluster. */
export const DEFAULT_PRODUCER_IMAGE = 'flight-producer:local';

/** UID and GID the producer runs as. Not 0, and above the range images use for system users. */
export const PRODUCER_UID = 10001;

/** CPU and memory of one producer container. */
export interface ProducerResources {
  /** CPU the scheduler reserves for the container, in millicores (1000 = one core). @default 1000 */
  readonly cpuRequestMillis?: number;
  /**
   * CPU the container may use before it is throttled, in millicores; >= `cpuRequestMillis`.
   * Above the request because Node's GC and zlib threads run beside the event loop.
   * @default 2000
   */
  readonly cpuLimitMillis?: number;
  /**
   * Memory request and limit, in MiB. They are equal so a producer is never OOM-killed because a
   * neighbour used memory the node had overcommitted.
   * @default 1024
   */
  readonly memoryMebibytes?: number;
}

/** Properties of a {@link ProducerChart}. */
export interface ProducerChartProps extends ChartProps {
  /** Kafka bootstrap servers, `host:port[,host:port...]`, passed to the producer as `--bootstrap`. */
  readonly bootstrapServers: string;
  /** Kafka topic the flight events are sent to, passed as `--topic`. */
  readonly topic: string;
  /** Number of producer pods (a whole number >= 1). @default 1 */
  readonly replicas?: number;
  /**
   * Producer image reference. Pulled only if the node does not have it (`IfNotPresent`), so use an
   * immutable tag or a digest for anything but local development.
   * @default 'flight-producer:local'
   */
  readonly image?: string;
  /** CPU and memory of each producer container. @default - see {@link ProducerResources} */
  readonly resources?: ProducerResources;
}

/**
 * The `flight-analytics` Namespace, the `flight-producer` ServiceAccount and the `flight-producer`
 * Deployment, which runs `produce --bootstrap <bootstrapServers> --topic <topic>`.
 *
 * The pods meet the "restricted" Pod Security Standard the namespace enforces: they run as UID 10001,
 * with a read-only root filesystem (a small emptyDir is mounted at /tmp), no privilege escalation,
 * every Linux capability dropped and the runtime's default seccomp profile. They get no Kubernetes
 * API token: the producer never calls the API server.
 */
export class ProducerChart extends Chart {
  public readonly flightAnalyticsNamespace: FlightAnalyticsNamespace;
  public readonly serviceAccount: kplus.ServiceAccount;
  public readonly deployment: kplus.Deployment;

  public constructor(scope: Construct, id: string, props: ProducerChartProps) {
    super(scope, id, props);

    const bootstrapServers = requireText('bootstrapServers', props.bootstrapServers);
    const topic = requireText('topic', props.topic);
    const image = requireText('image', props.image ?? DEFAULT_PRODUCER_IMAGE);
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new Error(`ProducerChart: replicas must be a whole number >= 1, got ${replicas}`);
    }
    const cpuRequestMillis = positiveInteger('resources.cpuRequestMillis', props.resources?.cpuRequestMillis ?? 1000);
    const cpuLimitMillis = positiveInteger('resources.cpuLimitMillis', props.resources?.cpuLimitMillis ?? 2000);
    const memoryMebibytes = positiveInteger('resources.memoryMebibytes', props.resources?.memoryMebibytes ?? 1024);
    if (cpuLimitMillis < cpuRequestMillis) {
      throw new Error(
        `ProducerChart: resources.cpuLimitMillis (${cpuLimitMillis}) must be >= resources.cpuRequestMillis (${cpuRequestMillis})`,
      );
    }

    const labels = { 'app.kubernetes.io/name': PRODUCER_NAME, 'app.kubernetes.io/part-of': FLIGHT_ANALYTICS_NAMESPACE };

    this.flightAnalyticsNamespace = new FlightAnalyticsNamespace(this, 'Namespace');

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: PRODUCER_NAME, namespace: FLIGHT_ANALYTICS_NAMESPACE, labels },
      automountToken: false,
    });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: PRODUCER_NAME, namespace: FLIGHT_ANALYTICS_NAMESPACE, labels },
      replicas,
      // Select on our own stable labels instead of cdk8s's construct-path label: a Deployment's
      // selector cannot change after creation.
      select: false,
      podMetadata: { labels },
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: PRODUCER_UID, group: PRODUCER_UID },
      containers: [
        {
          name: 'producer',
          image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: ['produce', '--bootstrap', bootstrapServers, '--topic', topic],
          resources: {
            cpu: { request: kplus.Cpu.millis(cpuRequestMillis), limit: kplus.Cpu.millis(cpuLimitMillis) },
            memory: { request: Size.mebibytes(memoryMebibytes), limit: Size.mebibytes(memoryMebibytes) },
          },
          securityContext: {
            ensureNonRoot: true,
            user: PRODUCER_UID,
            group: PRODUCER_UID,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: [kplus.Capability.ALL] },
            seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
          },
          volumeMounts: [
            {
              path: '/tmp',
              volume: kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }),
            },
          ],
        },
      ],
    });
    this.deployment.select(kplus.LabelSelector.of({ labels }));

    // Emit the Namespace first so `kubectl apply -f` creates it before the objects that live in it.
    this.serviceAccount.node.addDependency(this.flightAnalyticsNamespace);
    this.deployment.node.addDependency(this.flightAnalyticsNamespace);
  }
}

function requireText(prop: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '' || /\s/.test(value)) {
    throw new Error(`ProducerChart: ${prop} must be a non-empty string without whitespace, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveInteger(prop: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`ProducerChart: ${prop} must be a whole number >= 1, got ${value}`);
  }
  return value;
}
