/**
 * The Kubernetes side of a deployment: the cdk8s charts of k8s/ (namespace and service accounts,
 * topic Job, producer fleet, SparkApplication), embedded in the EKS cluster with `addCdk8sChart`.
 *
 * The same chart classes produce the reviewable manifests of `npx cdk8s synth`; here CDK tokens
 * (MSK bootstrap brokers, bucket name, image URIs) flow into them as plain strings.
 */
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import { App as Cdk8sApp } from 'cdk8s';
import { Construct, type IDependable } from 'constructs';
import {
  FlightAnalyticsNamespaceChart,
  NAMESPACE_CHART_NAME,
  PRODUCER_NAME,
  ProducerChart,
  SPARK_APPLICATION_NAME,
  SparkJobChart,
  TOPIC_JOB_NAME,
  TopicChart,
} from '../k8s/index.ts';
import type { CapacityPlan } from './plan/capacity-plan.ts';

/** Properties of {@link Workloads}. */
export interface WorkloadsProps {
  /** The cluster the charts are applied to. */
  readonly cluster: eks.ICluster;
  /** MSK bootstrap servers for SASL/IAM over TLS (a token). */
  readonly bootstrapServers: string;
  /** Kafka topic of the flight events. */
  readonly topic: string;
  /** Kafka consumer group the Spark job uses; its IAM role may use only this one. */
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

/** The k8s/ charts, applied to the cluster in order: namespace -> topic Job -> producers; namespace + operator -> Spark. */
export class Workloads extends Construct {
  public readonly namespaceManifest: eks.KubernetesManifest;
  public readonly topicManifest: eks.KubernetesManifest;
  public readonly producerManifest: eks.KubernetesManifest;
  public readonly sparkJobManifest: eks.KubernetesManifest;

  public constructor(scope: Construct, id: string, props: WorkloadsProps) {
    super(scope, id);
    const charts = new Cdk8sApp();
    const kafka = {
      bootstrapServers: props.bootstrapServers,
      topic: props.topic,
      plan: props.plan,
      awsRegion: props.awsRegion,
    };

    this.namespaceManifest = props.cluster.addCdk8sChart(
      'Namespace',
      new FlightAnalyticsNamespaceChart(charts, NAMESPACE_CHART_NAME),
    );
    this.topicManifest = props.cluster.addCdk8sChart(
      'TopicJob',
      new TopicChart(charts, TOPIC_JOB_NAME, { ...kafka, image: props.producerImage, security: 'msk-iam' }),
    );
    this.producerManifest = props.cluster.addCdk8sChart(
      'Producers',
      new ProducerChart(charts, PRODUCER_NAME, { ...kafka, image: props.producerImage, security: 'msk-iam' }),
    );
    this.sparkJobManifest = props.cluster.addCdk8sChart(
      'SparkJob',
      new SparkJobChart(charts, SPARK_APPLICATION_NAME, {
        ...kafka,
        image: props.sparkJobImage,
        bucketName: props.bucketName,
        mskIamAuth: true,
        consumerGroupId: props.sparkConsumerGroup,
      }),
    );

    this.namespaceManifest.node.addDependency(...props.workloadPrerequisites);
    this.topicManifest.node.addDependency(this.namespaceManifest);
    // CloudFormation cannot wait for the Job to *complete*, only to be applied. A producer that starts
    // before the topic exists exits 1 naming the missing topic, and Kubernetes restarts it with
    // back-off until the Job has created it; applying the fleet after the Job keeps that window short.
    this.producerManifest.node.addDependency(this.topicManifest);
    this.sparkJobManifest.node.addDependency(this.namespaceManifest, props.sparkOperator);
  }
}
