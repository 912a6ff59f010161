/**
 * The Job that creates the flight-events topic, sized by the capacity plan, before the producers start.
 */
import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { FLIGHT_EVENTS_TOPIC, PRODUCER_SERVICE_ACCOUNT, WORKLOAD_NAMESPACE } from '../deploy/names.ts';
import { requireKafkaSecurity } from './kafka-security.ts';
import { PRODUCER_UID, restrictedContainerSecurityContext } from './pod-security.ts';
import { DEFAULT_PRODUCER_IMAGE, type ProducerImageKafkaProps, producerKafkaEnvironment } from './producer-chart.ts';
import { NODE_GROUP_LABELS, nodeGroupPlacement } from './scheduling.ts';
import { positiveInteger, requireText } from './validation.ts';

/** Name of the Job (and of its pod label). */
export const TOPIC_JOB_NAME = 'flight-events-topic';

/**
 * Properties of a {@link TopicChart}: the producer image's Kafka settings; `topic` is the one created,
 * and `plan` sizes its partitions, replication and retention. `kafkaSecurity` is `msk-iam`: on
 * Strimzi the StrimziKafkaChart's KafkaTopic creates the topic instead of this Job.
 */
export type TopicChartProps = ProducerImageKafkaProps;

/**
 * One Job: `topics --partitions <plan> --replication-factor <plan> --topic-config retention.ms=<plan>`
 * with the bootstrap servers, topic and security in PRODUCER_* variables. The sub-command leaves an
 * existing topic alone and exits 0, so the Job can be re-applied. Apply this chart and wait for the Job before the producer chart:
 * `kubectl wait --for=condition=complete job/flight-events-topic -n flight-analytics`.
 */
export class TopicChart extends Chart {
  public readonly job: kplus.Job;

  public constructor(scope: Construct, id: string, props: TopicChartProps) {
    super(scope, id, props);
    const chart = 'TopicChart';
    const { plan } = props;
    if (requireKafkaSecurity(chart, props.kafkaSecurity).kind !== 'msk-iam') {
      throw new Error(`${chart}: kafkaSecurity must be {kind: "msk-iam"}, got ${JSON.stringify(props.kafkaSecurity)}; on Strimzi the StrimziKafkaChart's KafkaTopic creates the topic`);
    }
    const namespace = requireText(chart, 'namespace', props.namespace ?? WORKLOAD_NAMESPACE);
    const bootstrapServers = requireText(chart, 'bootstrapServers', props.bootstrapServers);
    const topic = requireText(chart, 'topic', props.topic ?? FLIGHT_EVENTS_TOPIC);
    const image = requireText(chart, 'image', props.image ?? DEFAULT_PRODUCER_IMAGE);
    const serviceAccountName = requireText(chart, 'serviceAccountName', props.serviceAccountName ?? PRODUCER_SERVICE_ACCOUNT);
    const nodeGroup = requireText(chart, 'nodeGroup', props.nodeGroup ?? NODE_GROUP_LABELS.producers);
    const partitions = positiveInteger(chart, 'plan.topic.partitions', plan.topic.partitions.value);
    const retentionMs = Math.round(plan.topic.retentionHours * 3_600_000);

    const labels = { 'app.kubernetes.io/name': TOPIC_JOB_NAME, 'app.kubernetes.io/part-of': WORKLOAD_NAMESPACE };
    const tmp = kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(16) });
    this.job = new kplus.Job(this, 'Job', {
      metadata: { name: TOPIC_JOB_NAME, namespace, labels },
      podMetadata: { labels },
      backoffLimit: 6,
      activeDeadline: Duration.minutes(10),
      // Kept a day so `kubectl wait` and a person can still see how it went.
      ttlAfterFinished: Duration.hours(24),
      serviceAccount: kplus.ServiceAccount.fromServiceAccountName(this, 'ServiceAccount', serviceAccountName),
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: PRODUCER_UID, group: PRODUCER_UID },
      containers: [
        {
          name: 'topics',
          image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: [
            'topics',
            '--partitions', String(partitions),
            '--replication-factor', String(plan.topic.replicationFactor),
            '--topic-config', `retention.ms=${retentionMs}`,
          ],
          envVariables: Object.fromEntries(
            Object.entries({
              ...props.extraEnvironment,
              ...producerKafkaEnvironment(chart, bootstrapServers, topic, props.kafkaSecurity, props.awsRegion),
              PRODUCER_LOG_FORMAT: 'json',
            }).map(
              ([name, value]) => [name, kplus.EnvValue.fromValue(value)],
            ),
          ),
          resources: {
            cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.millis(500) },
            memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
          },
          securityContext: restrictedContainerSecurityContext(PRODUCER_UID),
          volumeMounts: [{ path: '/tmp', volume: tmp }],
        },
      ],
    });
    const placement = nodeGroupPlacement(nodeGroup);
    ApiObject.of(this.job).addJsonPatch(
      JsonPatch.add('/spec/template/spec/nodeSelector', placement.nodeSelector),
      JsonPatch.add('/spec/template/spec/tolerations', placement.tolerations),
    );
  }
}
