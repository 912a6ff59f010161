import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { KafkaCluster, provisionedThroughput } from '../../lib/kafka.ts';
import { Network } from '../../lib/network.ts';
import { versions } from '../../deploy/versions.ts';
import { projectApp } from './fixtures.ts';

function newKafka(stack: Stack, brokerCount = 6, network = new Network(stack, 'Network')): KafkaCluster {
  return new KafkaCluster(stack, 'Kafka', {
    vpc: network.vpc,
    brokerSubnets: network.privateSubnets,
    sizing: { brokerInstanceType: 'kafka.m7g.xlarge', brokerCount, brokerVolumeGiB: 500 },
    clusterName: 'flight-analytics-test',
  });
}

describe('KafkaCluster', () => {
  let stack: Stack;
  let network: Network;
  let kafka: KafkaCluster;
  let template: Template;
  beforeAll(() => {
    // GIVEN a network WHEN a six-broker MSK cluster is created
    stack = new Stack(projectApp(), 'KafkaTest');
    network = new Network(stack, 'Network');
    kafka = newKafka(stack, 6, network);
    // AND the clients' security group is let in
    kafka.allowClientsFrom(new ec2.SecurityGroup(stack, 'Clients', { vpc: network.vpc }), 'test clients');
    template = Template.fromStack(stack);
  });

  it('runs the MSK Kafka version from versions.json over three AZs', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      KafkaVersion: versions.mskKafka,
      NumberOfBrokerNodes: 6,
      BrokerNodeGroupInfo: {
        InstanceType: 'kafka.m7g.xlarge',
        StorageInfo: { EBSStorageInfo: { VolumeSize: 500 } },
        ClientSubnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('privateSubnet1') }]),
      },
    });
    const cluster = Object.values(template.findResources('AWS::MSK::Cluster'))[0]!;
    expect(cluster['Properties'].BrokerNodeGroupInfo.ClientSubnets).toHaveLength(3);
  });

  it('accepts IAM-authenticated clients over TLS only, and encrypts storage with a KMS key', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true }, Scram: { Enabled: false } }, Tls: { Enabled: false }, Unauthenticated: { Enabled: false } },
      EncryptionInfo: {
        EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
        EncryptionAtRest: { DataVolumeKMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaStorageKey'), 'Arn'] } },
      },
    });
  });

  it('sends broker logs to CloudWatch Logs and enables open monitoring', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: { Ref: Match.stringLikeRegexp('^KafkaBrokerLogs') } } } },
      OpenMonitoring: { Prometheus: { JmxExporter: { EnabledInBroker: true }, NodeExporter: { EnabledInBroker: true } } },
    });
  });

  it('configures explicit topic creation, replication factor 3 and min.insync.replicas 2', () => {
    template.hasResourceProperties('AWS::MSK::Configuration', {
      KafkaVersionsList: [versions.mskKafka],
      ServerProperties: 'auto.create.topics.enable=false\ndefault.replication.factor=3\nmin.insync.replicas=2',
    });
    template.hasResourceProperties('AWS::MSK::Cluster', {
      ConfigurationInfo: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaConfiguration'), 'Arn'] }, Revision: 1 },
    });
  });

  it('reads the SASL/IAM bootstrap brokers with a custom resource allowed only GetBootstrapBrokers on this cluster', () => {
    const call = JSON.stringify(Object.values(template.findResources('Custom::AWS'))[0]!['Properties'].Create);
    expect(call).toContain('\\"service\\":\\"Kafka\\",\\"action\\":\\"getBootstrapBrokers\\"');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: 'kafka:GetBootstrapBrokers', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaCluster'), 'Arn'] } }],
      },
    });
    expect(stack.resolve(kafka.bootstrapBrokersSaslIam)).toStrictEqual({
      'Fn::GetAtt': [expect.stringMatching(/^KafkaBootstrapBrokers/), 'BootstrapBrokerStringSaslIam'],
    });
  });

  it('reads every broker\'s DNS name with a custom resource allowed only ListNodes on this cluster', () => {
    // GIVEN six brokers THEN six endpoints are read, one per node of the ListNodes answer
    expect(kafka.brokerHosts.map((host) => stack.resolve(host))).toStrictEqual(
      [0, 1, 2, 3, 4, 5].map((index) => ({ 'Fn::GetAtt': [expect.stringMatching(/^KafkaBrokerNodes/), `NodeInfoList.${index}.BrokerNodeInfo.Endpoints.0`] })),
    );
    const calls = Object.values(template.findResources('Custom::AWS')).map((resource) => JSON.stringify(resource['Properties'].Create));
    expect(calls.filter((call) => call.includes('\\"action\\":\\"listNodes\\"'))).toHaveLength(1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: 'kafka:ListNodes', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaCluster'), 'Arn'] } }],
      },
    });
  });

  it('admits clients only on port 9098 from the security groups it is told about', () => {
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 9098,
      ToPort: 9098,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Clients'), 'GroupId'] },
    });
  });

  it('admits Prometheus to the open-monitoring ports 11001-11002 only from the security group it is told about', () => {
    // GIVEN a separate stack, so the client rule above stays the only one there
    const monitored = new Stack(projectApp(), 'KafkaMonitoringTest');
    const monitoredNetwork = new Network(monitored, 'Network');
    const cluster = newKafka(monitored, 3, monitoredNetwork);
    // WHEN Prometheus's security group is let in
    cluster.allowPrometheusFrom(new ec2.SecurityGroup(monitored, 'Prometheus', { vpc: monitoredNetwork.vpc }), 'test prometheus');
    // THEN exactly that port range from exactly that group
    const ingress = Template.fromStack(monitored);
    ingress.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    ingress.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 11001,
      ToPort: 11002,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Prometheus'), 'GroupId'] },
    });
  });

  it('builds topic and group ARNs from the cluster name and UUID', () => {
    expect(JSON.stringify(stack.resolve(kafka.topicArn('flight-events')))).toMatch(/:topic\/flight-analytics-test\/".*"\/flight-events"/);
    expect(JSON.stringify(stack.resolve(kafka.groupArn('spark')))).toMatch(/:group\/flight-analytics-test\/".*"\/spark"/);
  });

  it('provisions no storage throughput unless the sizing asks for it', () => {
    const cluster = Object.values(template.findResources('AWS::MSK::Cluster'))[0]!;
    expect(cluster['Properties'].BrokerNodeGroupInfo.StorageInfo.EBSStorageInfo.ProvisionedThroughput).toBeUndefined();
  });

  it('provisions the storage throughput the capacity plan asks for, in whole MiB/s', () => {
    // GIVEN the plan's 312.5 MiB/s (a kafka.m7g.2xlarge's maximum) THEN MSK gets 312
    expect(provisionedThroughput({ brokerInstanceType: 'kafka.m7g.2xlarge', brokerCount: 6, brokerVolumeGiB: 500, provisionedThroughputMibPerSecond: 312.5 })).toStrictEqual({
      provisionedThroughput: { enabled: true, volumeThroughput: 312 },
    });
    expect(() => provisionedThroughput({ brokerInstanceType: 'kafka.m7g.2xlarge', brokerCount: 6, brokerVolumeGiB: 500, provisionedThroughputMibPerSecond: 100 })).toThrow(
      'KafkaCluster: sizing.provisionedThroughputMibPerSecond must be a number >= 250 (MSK\'s default; leave it out for the default), got 100',
    );
  });

  it('throws naming brokerCount when it is not a multiple of 3', () => {
    expect(() => newKafka(new Stack(projectApp(), 'Bad'), 4)).toThrow('KafkaCluster: sizing.brokerCount must be a multiple of 3, got 4');
  });
});
