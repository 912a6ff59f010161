/**
 * The Kubernetes side of a deployment: the cdk8s charts of k8s/ (namespace and service accounts,
 * Kafka on Strimzi or the MSK topic Job, producer fleet, SparkApplication), embedded in the EKS
 * cluster with `addCdk8sChart`.
 *
 * The same chart classes produce the reviewable manifests of `npx cdk8s synth`; here CDK tokens
 * (MSK bootstrap brokers, bucket name, image URIs) flow into them as plain strings.
 */
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import { App as Cdk8sApp } from 'cdk8s';
import { Construct, type IDependable } from 'constructs';
import {
  FlightAnalyticsNamespaceChart,
  type KafkaPodResources,
  NAMESPACE_CHART_NAME,
  PRODUCER_NAME,
  PRODUCER_SERVICE_ACCOUNT,
  ProducerChart,
  SPARK_APPLICATION_NAME,
  SPARK_SERVICE_ACCOUNT,
  SparkJobChart,
  StrimziKafkaChart,
  strimziBootstrapServers,
  strimziClientTls,
  TOPIC_JOB_NAME,
  TopicChart,
} from '../k8s/index.ts';
import type { CapacityPlan } from './plan/capacity-plan.ts';

/** Name of the Strimzi chart (its manifest in the stack). */
export const STRIMZI_KAFKA_CHART_NAME = 'flight-kafka';

/** Where Kafka runs, and what the charts need to know about it. */
export type WorkloadsKafka =
  | {
      readonly kind: 'msk';
      /** MSK bootstrap servers for SASL/IAM over TLS (a token). */
      readonly bootstrapServers: string;
    }
  | {
      readonly kind: 'strimzi';
      /** What installs the Strimzi CRDs and operator (its Helm chart). */
      readonly operator: IDependable;
      /** What the Kafka pods need first: their node groups and the EBS CSI driver. */
      readonly prerequisites: readonly IDependable[];
      /** Brokers (a multiple of 3). */
      readonly brokerReplicas: number;
      /** EBS volume per broker, GiB. */
      readonly brokerVolumeGiB: number;
      /** A broker's CPU, memory and heap, sized to its node. */
      readonly brokerResources: KafkaPodResources;
    };

/** Properties of {@link Workloads}. */
export interface WorkloadsProps {
  /** The cluster the charts are applied to. */
  readonly cluster: eks.ICluster;
  readonly kafka: WorkloadsKafka;
  /** Kafka topic of the flight events. */
  readonly topic: string;
  /** Kafka consumer group the Spark job uses; its IAM role (MSK) or ACLs (Strimzi) allow only this one. */
  readonly sparkConsumerGroup: string;
  /** S3 bucket for checkpoints, analytics output and quarantine (a token). */
  readonly bucketName: string;
  /** Image URIs (tokens) of the producer and the Spark job. */
  readonly producerImage: string;
  readonly sparkJobImage: string;
  /** Region of MSK and the bucket, for IAM auth and S3A. */
  readonly awsRegion: string;
  /** Sizes of the topic, producer fleet and Spark job. */
  readonly plan: CapacityPlan;
  /** What must exist before any workload: node groups, the Pod Identity associations. */
  readonly workloadPrerequisites: readonly IDependable[];
  /** What installs the SparkApplication CRD (the spark-operator Helm chart). */
  readonly sparkOperator: IDependable;
}

/**
 * The k8s/ charts, applied to the cluster in order:
 * - MSK: namespace -> topic Job -> producers; namespace + spark-operator -> Spark;
 * - Strimzi: namespace + Strimzi operator + Kafka nodes -> Kafka (with its topic and users) -> producers;
 *   Kafka + spark-operator -> Spark.
 */
export class Workloads extends Construct {
  public readonly namespaceManifest: eks.KubernetesManifest;
  /** The topic Job (MSK only; with Strimzi a KafkaTopic in {@link kafkaManifest} creates the topic). */
  public readonly topicManifest?: eks.KubernetesManifest;
  /** The Strimzi Kafka, node pools, topic and users (Strimzi only). */
  public readonly kafkaManifest?: eks.KubernetesManifest;
  public readonly producerManifest: eks.KubernetesManifest;
  public readonly sparkJobManifest: eks.KubernetesManifest;
  /** Bootstrap servers the producers and Spark use (a token with MSK). */
  public readonly bootstrapServers: string;

  public constructor(scope: Construct, id: string, props: WorkloadsProps) {
    super(scope, id);
    const charts = new Cdk8sApp();
    const { kafka } = props;
    this.bootstrapServers = kafka.kind === 'msk' ? kafka.bootstrapServers : strimziBootstrapServers();
    const common = { bootstrapServers: this.bootstrapServers, topic: props.topic, plan: props.plan, awsRegion: props.awsRegion };

    this.namespaceManifest = props.cluster.addCdk8sChart('Namespace', new FlightAnalyticsNamespaceChart(charts, NAMESPACE_CHART_NAME));
    this.namespaceManifest.node.addDependency(...props.workloadPrerequisites);

    // What the producers and Spark wait for: the topic.
    let kafkaReady: eks.KubernetesManifest;
    if (kafka.kind === 'msk') {
      this.topicManifest = props.cluster.addCdk8sChart(
        'TopicJob',
        new TopicChart(charts, TOPIC_JOB_NAME, { ...common, image: props.producerImage, security: 'msk-iam' }),
      );
      this.topicManifest.node.addDependency(this.namespaceManifest);
      kafkaReady = this.topicManifest;
    } else {
      this.kafkaManifest = props.cluster.addCdk8sChart(
        'Kafka',
        new StrimziKafkaChart(charts, STRIMZI_KAFKA_CHART_NAME, {
          plan: props.plan,
          topic: props.topic,
          brokerReplicas: kafka.brokerReplicas,
          brokerVolumeGiB: kafka.brokerVolumeGiB,
          brokerResources: kafka.brokerResources,
          sparkConsumerGroup: props.sparkConsumerGroup,
        }),
      );
      this.kafkaManifest.node.addDependency(this.namespaceManifest, kafka.operator, ...kafka.prerequisites);
      kafkaReady = this.kafkaManifest;
    }

    this.producerManifest = props.cluster.addCdk8sChart(
      'Producers',
      new ProducerChart(
        charts,
        PRODUCER_NAME,
        kafka.kind === 'msk'
          ? { ...common, image: props.producerImage, security: 'msk-iam' }
          : { ...common, image: props.producerImage, security: 'tls', clientTls: strimziClientTls(PRODUCER_SERVICE_ACCOUNT) },
      ),
    );
    this.sparkJobManifest = props.cluster.addCdk8sChart(
      'SparkJob',
      new SparkJobChart(charts, SPARK_APPLICATION_NAME, {
        ...common,
        image: props.sparkJobImage,
        bucketName: props.bucketName,
        consumerGroupId: props.sparkConsumerGroup,
        ...(kafka.kind === 'msk' ? { mskIamAuth: true } : { clientTls: strimziClientTls(SPARK_SERVICE_ACCOUNT) }),
      }),
    );

    // CloudFormation cannot wait for the topic Job to *complete* (or the Kafka to be Ready), only for
    // it to be applied. A producer that starts before the topic exists exits 1 naming the missing
    // topic, and Kubernetes restarts it with back-off; applying the fleet after keeps that window short.
    this.producerManifest.node.addDependency(kafkaReady);
    this.sparkJobManifest.node.addDependency(this.namespaceManifest, props.sparkOperator, ...(kafka.kind === 'strimzi' ? [kafkaReady] : []));
  }
}
