/**
 * The AWS side of the pipeline, composed from one construct per concern (see lib/).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { Construct } from 'constructs';
import type { FlightAnalyticsConfig, KafkaChoice } from '../deploy/config.ts';
import type { Deployment } from '../deploy/deployment.ts';
import { AVAILABILITY_ZONE_COUNT } from '../deploy/names.ts';
import type { CapacityPlan } from '../deploy/plan/capacity-plan.ts';
import { strimziBootstrapServers } from '../k8s/index.ts';
import { FlightCluster } from './cluster.ts';
import { WorkloadImages, type WorkloadImagesProps } from './images.ts';
import { WorkloadIdentities } from './identities.ts';
import { KafkaCluster, MSK_JMX_EXPORTER_PORT, MSK_NODE_EXPORTER_PORT } from './kafka.ts';
import { LogEncryption } from './log-encryption.ts';
import { acknowledgeStackNagFindings } from './nag-acknowledgements.ts';
import { Monitoring } from './monitoring.ts';
import { Network } from './network.ts';
import { SparkOperator } from './spark-operator.ts';
import { StrimziOperator } from './strimzi-operator.ts';
import { AnalyticsBucket } from './storage.ts';
import { Workloads } from './workloads.ts';

/** Value of the `Project` tag on the stack and, through CloudFormation, on every resource in it. */
export const PROJECT_TAG_VALUE = 'flight-data-analytics';

/** Properties of a {@link FlightAnalyticsStack}. */
export interface FlightAnalyticsStackProps extends StackProps {
  /**
   * What to deploy (deploy/deployment.ts `loadDeployment`): the capacity plan, which sizes the
   * workloads; the validated configuration, whose node group and Kafka sizes are the plan's unless
   * overridden; and where Kafka runs: Amazon MSK, or a KRaft cluster on dedicated EKS node groups run
   * by Strimzi (sized by the same `config.kafka`: brokers, the EC2 twin of the MSK broker type, volume size).
   */
  readonly deployment: Deployment;
  /**
   * Where the images are built from.
   * @default - producer/ and spark-jobs/ of this repository
   */
  readonly imageBuildContexts?: WorkloadImagesProps;
}

/**
 * One deployment of Flight Data Analytics: flight events -> Kafka -> Spark Structured Streaming -> S3.
 *
 * Constructs are created in the order data flows, and each takes what it depends on as props:
 * network -> bucket -> EKS cluster -> MSK -> images -> Pod Identity -> spark-operator -> monitoring -> workloads (k8s/ charts).
 *
 * What the Kubernetes charts (k8s/) need is public here: {@link cluster} (for `addCdk8sChart`),
 * {@link kafka}`.bootstrapBrokersSaslIam`, the bucket name, the image URIs, the namespace and
 * service-account names in {@link identities}, and {@link sparkOperator}`.chart` to depend on
 * (it installs the SparkApplication CRD).
 *
 * Tags: the `Project` and `Environment` tags are stack tags, which CloudFormation applies to every
 * resource it creates (the `@aws-cdk/core:explicitStackTags` flag is on, so `Tags.of(stack)` would
 * not set them).
 */
export class FlightAnalyticsStack extends Stack {
  public readonly config: FlightAnalyticsConfig;
  /** The capacity plan the workloads are sized by. */
  public readonly plan: CapacityPlan;
  /** The KMS key of every CloudWatch Logs group in the stack. */
  public readonly logEncryption: LogEncryption;
  public readonly network: Network;
  /** Checkpoints, analytics output and quarantined events. */
  public readonly analyticsBucket: AnalyticsBucket;
  public readonly flightCluster: FlightCluster;
  public readonly kafkaChoice: KafkaChoice;
  /** Amazon MSK (kafkaChoice 'msk'). */
  public readonly kafka?: KafkaCluster;
  /** The Strimzi operator (kafkaChoice 'strimzi'); the Kafka itself is a chart in {@link workloads}. */
  public readonly strimziOperator?: StrimziOperator;
  public readonly images: WorkloadImages;
  public readonly identities: WorkloadIdentities;
  public readonly sparkOperator: SparkOperator;
  /** kube-prometheus-stack: Prometheus, Alertmanager and Grafana (what they scrape, alert on and show is a chart in {@link workloads}). */
  public readonly monitoring: Monitoring;
  /** The k8s/ charts (namespace, topic Job, producer fleet, SparkApplication, monitoring) applied to the cluster. */
  public readonly workloads: Workloads;

  public constructor(scope: Construct, id: string, props: FlightAnalyticsStackProps) {
    const { deployment, imageBuildContexts, ...stackProps } = props;
    const { config, plan, kafkaChoice } = deployment;
    super(scope, id, {
      description: `Flight Data Analytics (${config.envName}): flight events -> Kafka -> Spark Structured Streaming -> S3`,
      ...stackProps,
      tags: { Project: PROJECT_TAG_VALUE, Environment: config.envName, ...stackProps.tags },
    });
    this.config = config;
    this.plan = plan;
    this.kafkaChoice = kafkaChoice;
    const brokerNodeType = config.kafka.brokerInstanceType.replace(/^kafka\./, '');

    // Before anything that logs: every log group in the stack is encrypted with this key.
    this.logEncryption = new LogEncryption(this, 'LogEncryption');

    this.network = new Network(this, 'Network');

    this.analyticsBucket = new AnalyticsBucket(this, 'AnalyticsBucket', {
      quarantineExpirationDays: config.quarantineExpirationDays,
    });

    this.flightCluster = new FlightCluster(this, 'Eks', {
      vpc: this.network.vpc,
      nodeSubnets: this.network.privateSubnets,
      nodeGroups: config.nodeGroups,
      ...(kafkaChoice === 'strimzi' ? { kafkaNodes: { instanceType: brokerNodeType, nodesPerZone: config.kafka.brokerCount / AVAILABILITY_ZONE_COUNT } } : {}),
      ...(config.adminRoleArn === undefined ? {} : { adminRoleArn: config.adminRoleArn }),
    });

    if (kafkaChoice === 'msk') {
      this.kafka = new KafkaCluster(this, 'Kafka', {
        vpc: this.network.vpc,
        brokerSubnets: this.network.privateSubnets,
        sizing: config.kafka,
        clusterName: `flight-analytics-${config.envName}`,
      });
      // Managed node groups use the cluster security group, so this admits every pod on every node;
      // IAM (Pod Identity) then decides what each one may do.
      this.kafka.allowClientsFrom(this.cluster.clusterSecurityGroup, 'Kafka clients on the EKS nodes');
      this.kafka.allowPrometheusFrom(this.cluster.clusterSecurityGroup, 'Prometheus on the EKS nodes (MSK open monitoring)');
    }

    this.images = new WorkloadImages(this, 'Images', imageBuildContexts);

    this.identities = new WorkloadIdentities(this, 'Identities', {
      cluster: this.cluster,
      podIdentityAgent: this.flightCluster.podIdentityAgent,
      ...(this.kafka === undefined ? {} : { kafka: this.kafka }),
      topicName: config.topicName,
      sparkConsumerGroup: config.sparkConsumerGroup,
      bucket: this.analyticsBucket.bucket,
    });

    this.sparkOperator = new SparkOperator(this, 'SparkOperator', {
      cluster: this.cluster,
      jobNamespaces: [this.identities.namespace],
    });
    // The operator's controller and webhook are scheduled on the system nodes.
    this.sparkOperator.chart.node.addDependency(this.flightCluster.nodegroups.system);

    if (kafkaChoice === 'strimzi') {
      this.strimziOperator = new StrimziOperator(this, 'StrimziOperator', { cluster: this.cluster, watchNamespaces: [this.identities.namespace] });
      this.strimziOperator.chart.node.addDependency(this.flightCluster.nodegroups.system);
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      cluster: this.cluster,
      ...(this.kafka === undefined
        ? {}
        : { msk: { brokerHosts: this.kafka.brokerHosts, jmxExporterPort: MSK_JMX_EXPORTER_PORT, nodeExporterPort: MSK_NODE_EXPORTER_PORT } }),
    });
    // Prometheus, Grafana and the operator are scheduled on the system nodes.
    this.monitoring.chart.node.addDependency(this.flightCluster.nodegroups.system);

    this.workloads = new Workloads(this, 'Workloads', {
      cluster: this.cluster,
      // The same plan that sized the node groups, so the pods fit the nodes.
      deployment,
      deployTime: {
        ...(this.kafka === undefined ? {} : { mskBootstrapServers: this.kafka.bootstrapBrokersSaslIam }),
        bucketName: this.analyticsBucket.bucket.bucketName,
        producerImage: this.images.producerImageUri,
        sparkJobImage: this.images.sparkJobImageUri,
        awsRegion: this.region,
      },
      workloadPrerequisites: [...Object.values(this.flightCluster.nodegroups), this.identities],
      sparkOperator: this.sparkOperator.chart,
      monitoring: this.monitoring.chart,
      ...(this.strimziOperator === undefined
        ? {}
        : { strimzi: { operator: this.strimziOperator.chart, prerequisites: [...this.flightCluster.kafkaNodegroups, this.flightCluster.ebsCsiDriver!] } }),
    });
    // The operator binds its roles in the workload namespace, so the namespace comes first.
    this.strimziOperator?.chart.node.addDependency(this.workloads.namespaceManifest);

    new CfnOutput(this, 'ClusterName', { description: 'EKS cluster name', value: this.cluster.clusterName });
    new CfnOutput(this, 'KubeconfigCommand', {
      description: 'Adds the cluster to ~/.kube/config',
      value: `aws eks update-kubeconfig --region ${this.region} --name ${this.cluster.clusterName}`,
    });
    new CfnOutput(this, 'AnalyticsBucketName', {
      description: 'S3 bucket for Spark checkpoints (checkpoints/), analytics output (analytics/) and quarantined events (quarantine/)',
      value: this.analyticsBucket.bucket.bucketName,
    });
    if (this.kafka !== undefined) {
      new CfnOutput(this, 'KafkaBootstrapBrokers', {
        description: 'MSK bootstrap servers for SASL/IAM over TLS (port 9098)',
        value: this.kafka.bootstrapBrokersSaslIam,
      });
      new CfnOutput(this, 'KafkaClusterArn', { description: 'MSK cluster ARN', value: this.kafka.clusterArn });
    } else {
      new CfnOutput(this, 'KafkaBootstrapBrokers', {
        description: 'Strimzi bootstrap service inside the cluster: TLS with client certificates (KafkaUser secrets)',
        value: strimziBootstrapServers(),
      });
    }
    new CfnOutput(this, 'ProducerImageUri', { description: 'Producer image', value: this.images.producerImageUri });
    new CfnOutput(this, 'SparkJobImageUri', { description: 'Spark job image', value: this.images.sparkJobImageUri });

    acknowledgeStackNagFindings(this);
  }

  /** The EKS cluster; add the k8s charts to it with `addCdk8sChart`. */
  public get cluster(): eks.Cluster {
    return this.flightCluster.cluster;
  }
}

