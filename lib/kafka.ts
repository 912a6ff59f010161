/**
 * Amazon MSK: the Kafka cluster flight events go through, reachable only over TLS with IAM auth.
 */
import { Arn, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { KafkaSizing } from '../deploy/config.ts';
import { KAFKA_SERVER_PROPERTIES } from '../deploy/kafka-settings.ts';
import { AVAILABILITY_ZONE_COUNT } from '../deploy/names.ts';
import { versions } from '../deploy/versions.ts';

/** Port of the brokers' SASL/IAM over TLS listener inside the VPC. */
export const MSK_SASL_IAM_PORT = 9098;
/** Open monitoring: the ports of each broker's Prometheus JMX exporter and node exporter (plain HTTP, inside the VPC). */
export const MSK_JMX_EXPORTER_PORT = 11001;
export const MSK_NODE_EXPORTER_PORT = 11002;

/** Properties of a {@link KafkaCluster}. */
export interface KafkaClusterProps {
  readonly vpc: ec2.IVpc;
  /** Private subnets, one per AZ, for the brokers. Exactly three AZs. */
  readonly brokerSubnets: ec2.SubnetSelection;
  /** Broker type, count (a multiple of 3) and volume size. */
  readonly sizing: KafkaSizing;
  /** Name of the MSK cluster (1-64 letters, digits and hyphens). */
  readonly clusterName: string;
  /**
   * Days broker logs are kept in CloudWatch Logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly brokerLogRetention?: logs.RetentionDays;
}

/**
 * An MSK provisioned cluster:
 * - Kafka version from versions.json (`mskKafka`), brokers spread evenly over three AZs,
 * - IAM client authentication only (no unauthenticated, SCRAM or mTLS clients),
 * - TLS between clients and brokers and between brokers; no plaintext listener,
 * - storage encrypted with a customer-managed, rotated KMS key,
 * - broker logs to CloudWatch Logs, open monitoring with the JMX and node exporters,
 * - a configuration with {@link KAFKA_SERVER_PROPERTIES}.
 *
 * Clients get in through {@link securityGroup} on port 9098; call `allowClientsFrom` with theirs.
 */
export class KafkaCluster extends Construct {
  public readonly cfnCluster: msk.CfnCluster;
  /** Security group of the brokers. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** ARN of the cluster: `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`. */
  public readonly clusterArn: string;
  /** Name of the cluster, as in its ARN. */
  public readonly clusterName: string;
  /**
   * SASL/IAM bootstrap servers (`b-1.<...>:9098,b-2.<...>:9098,...`), read from the MSK API at deploy
   * time. A CloudFormation token: pass it on, do not parse it.
   */
  public readonly bootstrapBrokersSaslIam: string;
  /**
   * DNS name of every broker (`b-1.<...>.amazonaws.com`, ...; one per broker), read from the MSK API
   * (ListNodes) at deploy time: Prometheus scrapes their open-monitoring ports. Tokens.
   */
  public readonly brokerHosts: string[];

  public constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const { sizing } = props;
    if (sizing.brokerCount % AVAILABILITY_ZONE_COUNT !== 0) {
      throw new Error(`KafkaCluster: sizing.brokerCount must be a multiple of ${AVAILABILITY_ZONE_COUNT}, got ${sizing.brokerCount}`);
    }
    if (!/^[a-zA-Z0-9-]{1,64}$/.test(props.clusterName)) {
      throw new Error(`KafkaCluster: clusterName must be 1-64 letters, digits or hyphens, got ${JSON.stringify(props.clusterName)}`);
    }
    this.clusterName = props.clusterName;

    const subnetIds = props.vpc.selectSubnets(props.brokerSubnets).subnetIds;

    this.securityGroup = new ec2.SecurityGroup(this, 'BrokerSecurityGroup', {
      vpc: props.vpc,
      description: 'MSK brokers: SASL/IAM over TLS (9098) from allowed clients only',
      allowAllOutbound: false,
    });

    const storageKey = new kms.Key(this, 'StorageKey', {
      description: 'Encryption at rest of the Flight Analytics MSK broker volumes',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', {
      retention: props.brokerLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const configuration = new msk.CfnConfiguration(this, 'Configuration', {
      name: `${props.clusterName}-brokers`,
      description: 'Flight Analytics brokers: explicit topics, RF 3, min ISR 2',
      kafkaVersionsList: [versions.mskKafka],
      serverProperties: Object.entries(KAFKA_SERVER_PROPERTIES)
        .map(([key, value]) => `${key}=${value}`)
        .join('\n'),
    });

    this.cfnCluster = new msk.CfnCluster(this, 'Cluster', {
      clusterName: props.clusterName,
      kafkaVersion: versions.mskKafka,
      numberOfBrokerNodes: sizing.brokerCount,
      brokerNodeGroupInfo: {
        instanceType: sizing.brokerInstanceType,
        clientSubnets: subnetIds,
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: sizing.brokerVolumeGiB, ...provisionedThroughput(sizing) } },
      },
      clientAuthentication: {
        sasl: { iam: { enabled: true }, scram: { enabled: false } },
        tls: { enabled: false },
        unauthenticated: { enabled: false },
      },
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKmsKeyId: storageKey.keyArn },
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
      },
      loggingInfo: {
        brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } },
      },
      openMonitoring: {
        prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } },
      },
      configurationInfo: { arn: configuration.attrArn, revision: 1 },
      enhancedMonitoring: 'PER_TOPIC_PER_BROKER',
    });
    this.clusterArn = this.cfnCluster.attrArn;

    const bootstrapBrokers = new cr.AwsCustomResource(this, 'BootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: this.clusterArn },
        // A new physical id whenever the cluster is replaced, so the brokers are read again.
        physicalResourceId: cr.PhysicalResourceId.of(this.clusterArn),
        outputPaths: ['BootstrapBrokerStringSaslIam'],
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['kafka:GetBootstrapBrokers'], resources: [this.clusterArn] }),
      ]),
      // The Lambda runtime's SDK has GetBootstrapBrokers; downloading the latest SDK at deploy time
      // would need internet access from the function and slow every deploy.
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'BootstrapBrokersLogs', {
        retention: logs.RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    this.bootstrapBrokersSaslIam = bootstrapBrokers.getResponseField('BootstrapBrokerStringSaslIam');

    // The bootstrap string need not name every broker; ListNodes does. One endpoint per broker node.
    const brokerIndexes = Array.from({ length: sizing.brokerCount }, (_, index) => index);
    const endpointPath = (index: number): string => `NodeInfoList.${index}.BrokerNodeInfo.Endpoints.0`;
    const brokerNodes = new cr.AwsCustomResource(this, 'BrokerNodes', {
      onUpdate: {
        service: 'Kafka',
        action: 'listNodes',
        // MaxResults is at most 100; a cluster this stack plans has far fewer brokers.
        parameters: { ClusterArn: this.clusterArn, MaxResults: 100 },
        // Read again when the cluster is replaced or its broker count changes.
        physicalResourceId: cr.PhysicalResourceId.of(`${this.clusterArn}/brokers-${sizing.brokerCount}`),
        outputPaths: brokerIndexes.map(endpointPath),
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['kafka:ListNodes'], resources: [this.clusterArn] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'BrokerNodesLogs', {
        retention: logs.RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    this.brokerHosts = brokerIndexes.map((index) => brokerNodes.getResponseField(endpointPath(index)));
  }

  /** Lets Prometheus in `peer` (e.g. the EKS cluster security group) scrape the brokers' JMX and node exporters. */
  public allowPrometheusFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcpRange(MSK_JMX_EXPORTER_PORT, MSK_NODE_EXPORTER_PORT), description);
  }

  /** Lets clients in `peer` (e.g. the EKS cluster security group) reach the brokers' SASL/IAM listener. */
  public allowClientsFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(MSK_SASL_IAM_PORT), description);
  }

  /** The cluster's UUID, the last part of its ARN; topic and group ARNs are scoped by it. */
  private get clusterUuid(): string {
    return Fn.select(2, Fn.split('/', this.clusterArn));
  }

  /** ARN of a topic in this cluster, for IAM policies: `arn:aws:kafka:<region>:<account>:topic/<cluster>/<uuid>/<topic>`. */
  public topicArn(topicName: string): string {
    return this.kafkaResourceArn('topic', topicName);
  }

  /** ARN of a consumer group in this cluster, for IAM policies. */
  public groupArn(groupName: string): string {
    return this.kafkaResourceArn('group', groupName);
  }

  private kafkaResourceArn(resource: 'topic' | 'group', name: string): string {
    return Arn.format(
      { service: 'kafka', resource, resourceName: `${this.clusterName}/${this.clusterUuid}/${name}` },
      Stack.of(this),
    );
  }
}

/** MSK's default EBS throughput per broker volume, MiB/s; provisioning asks for more. */
const DEFAULT_VOLUME_THROUGHPUT_MIB_PER_SECOND = 250;

/**
 * The `provisionedThroughput` of a broker volume, or nothing. MSK takes whole MiB/s, so a planned
 * 312.5 (a kafka.m7g.2xlarge's maximum) is provisioned as 312.
 */
export function provisionedThroughput(sizing: KafkaSizing): { provisionedThroughput?: msk.CfnCluster.ProvisionedThroughputProperty } {
  const wanted = sizing.provisionedThroughputMibPerSecond;
  if (wanted === undefined) return {};
  if (!Number.isFinite(wanted) || Math.floor(wanted) < DEFAULT_VOLUME_THROUGHPUT_MIB_PER_SECOND) {
    throw new Error(
      `KafkaCluster: sizing.provisionedThroughputMibPerSecond must be a number >= ${DEFAULT_VOLUME_THROUGHPUT_MIB_PER_SECOND} ` +
        `(MSK's default; leave it out for the default), got ${wanted}`,
    );
  }
  return { provisionedThroughput: { enabled: true, volumeThroughput: Math.floor(wanted) } };
}
