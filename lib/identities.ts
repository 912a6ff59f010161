/**
 * What each workload may do in AWS, granted through EKS Pod Identity: one IAM role per Kubernetes
 * service account, with only the actions that workload needs on the resources it uses.
 */
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PRODUCER_SERVICE_ACCOUNT, SPARK_SERVICE_ACCOUNT, WORKLOAD_NAMESPACE } from '../deploy/names.ts';
import type { KafkaCluster } from './kafka.ts';
import { acknowledgeFindings } from './nag-acknowledgements.ts';
import { AnalyticsBucket } from './storage.ts';

/** The bucket prefixes the Spark job reads and writes. */
const SPARK_BUCKET_PREFIXES = [AnalyticsBucket.CHECKPOINTS_PREFIX, AnalyticsBucket.ANALYTICS_PREFIX, AnalyticsBucket.QUARANTINE_PREFIX];

/** Properties of {@link WorkloadIdentities}. */
export interface WorkloadIdentitiesProps {
  readonly cluster: eks.ICluster;
  /** The Pod Identity agent; associations are created after it. */
  readonly podIdentityAgent: eks.Addon;
  /**
   * The MSK cluster the roles may use through IAM. Without it (Kafka on Strimzi, where clients
   * authenticate with certificates) the producer gets no AWS role at all and Spark only its bucket.
   * @default - no Kafka permissions
   */
  readonly kafka?: KafkaCluster;
  /** Topic the producer writes and the Spark job reads. */
  readonly topicName: string;
  /** Consumer group of the Spark job (its `kafka.group.id`). */
  readonly sparkConsumerGroup: string;
  /** The analytics bucket (checkpoints/, analytics/, quarantine/). */
  readonly bucket: s3.IBucket;
  /** @default WORKLOAD_NAMESPACE */
  readonly namespace?: string;
}

/**
 * Two IAM roles and their Pod Identity associations:
 * - `flight-producer` may connect to the cluster (idempotently) and describe, create and write the
 *   flight-events topic; nothing else.
 * - `flight-analytics-spark` may connect, describe and read the topic, use its consumer group, and
 *   read, write and delete objects under checkpoints/, analytics/ and quarantine/ of the bucket.
 *
 * Every resource is named by ARN: the cluster ARN, and topic and group ARNs built from the cluster's
 * name and UUID. The roles trust only the EKS Pod Identity service, for this account and cluster.
 */
export class WorkloadIdentities extends Construct {
  /** The producer's role; only with MSK (the producer needs AWS for nothing else). */
  public readonly producerRole?: iam.Role;
  public readonly sparkRole: iam.Role;
  public readonly namespace: string;
  public readonly producerServiceAccount = PRODUCER_SERVICE_ACCOUNT;
  public readonly sparkServiceAccount = SPARK_SERVICE_ACCOUNT;

  public constructor(scope: Construct, id: string, props: WorkloadIdentitiesProps) {
    super(scope, id);
    this.namespace = props.namespace ?? WORKLOAD_NAMESPACE;
    const { kafka } = props;
    const topicArn = kafka?.topicArn(props.topicName);

    this.producerRole = kafka === undefined || topicArn === undefined ? undefined : this.podIdentityRole('ProducerRole', props.cluster, 'Flight event producer: writes the flight-events topic', [
      new iam.PolicyStatement({
        sid: 'ConnectToCluster',
        // WriteDataIdempotently: the producer is idempotent (enable.idempotence), which MSK IAM
        // authorises as a cluster action; without it InitProducerId is refused.
        actions: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
        resources: [kafka.clusterArn],
      }),
      new iam.PolicyStatement({
        sid: 'WriteFlightEvents',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:CreateTopic', 'kafka-cluster:WriteData'],
        resources: [topicArn],
      }),
    ]);

    const objectArns = SPARK_BUCKET_PREFIXES.map((prefix) => props.bucket.arnForObjects(`${prefix}*`));
    const sparkKafkaStatements =
      kafka === undefined || topicArn === undefined
        ? []
        : [
            new iam.PolicyStatement({
              sid: 'ConnectToCluster',
              actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
              resources: [kafka.clusterArn],
            }),
            new iam.PolicyStatement({
              sid: 'ReadFlightEvents',
              actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
              resources: [topicArn],
            }),
            new iam.PolicyStatement({
              sid: 'UseConsumerGroup',
              actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
              resources: [kafka.groupArn(props.sparkConsumerGroup)],
            }),
          ];
    this.sparkRole = this.podIdentityRole('SparkRole', props.cluster, 'Flight analytics Spark job: reads flight-events, writes the bucket', [
      ...sparkKafkaStatements,
      new iam.PolicyStatement({
        sid: 'ListJobPrefixes',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        // S3A lists both "checkpoints/..." and the bare directory marker "checkpoints".
        conditions: { StringLike: { 's3:prefix': SPARK_BUCKET_PREFIXES.flatMap((prefix) => [`${prefix}*`, prefix.slice(0, -1)]) } },
      }),
      new iam.PolicyStatement({
        sid: 'ReadWriteJobPrefixes',
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: objectArns,
      }),
    ]);

    const associations: [string, string, iam.Role][] = [
      ...(this.producerRole === undefined ? [] : [['ProducerAssociation', PRODUCER_SERVICE_ACCOUNT, this.producerRole] as [string, string, iam.Role]]),
      ['SparkAssociation', SPARK_SERVICE_ACCOUNT, this.sparkRole],
    ];
    for (const [associationId, serviceAccount, role] of associations) {
      const association = new eks.CfnPodIdentityAssociation(this, associationId, {
        clusterName: props.cluster.clusterName,
        namespace: this.namespace,
        serviceAccount,
        roleArn: role.roleArn,
      });
      association.node.addDependency(props.podIdentityAgent);
    }

    const bucketLogicalId = Stack.of(this).getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket);
    acknowledgeFindings(
      this.sparkRole,
      SPARK_BUCKET_PREFIXES.map((prefix) => ({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${prefix}*]`,
        reason:
          `Spark names checkpoint, state and output files itself at run time; the wildcard covers only keys under ${prefix} of this one bucket.`,
      })),
    );
  }

  private podIdentityRole(id: string, cluster: eks.ICluster, description: string, statements: iam.PolicyStatement[]): iam.Role {
    const stack = Stack.of(this);
    return new iam.Role(this, id, {
      description,
      // Only EKS Pod Identity, acting for this account's cluster, may assume the role (confused deputy).
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com')
        .withConditions({
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': cluster.clusterArn },
        })
        .withSessionTags(),
      inlinePolicies: { Workload: new iam.PolicyDocument({ statements }) },
    });
  }
}
