import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRODUCER_SERVICE_ACCOUNT, SPARK_SERVICE_ACCOUNT } from '../../deploy/names.ts';
import { WorkloadIdentities } from '../../lib/identities.ts';
import { KafkaCluster } from '../../lib/kafka.ts';
import { Network } from '../../lib/network.ts';
import { projectApp } from './fixtures.ts';

type Statement = { Sid: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

describe('WorkloadIdentities', () => {
  let stack: Stack;
  let identities: WorkloadIdentities;
  let template: Template;
  beforeAll(() => {
    // GIVEN a cluster, an MSK cluster and a bucket
    stack = new Stack(projectApp(), 'IdentitiesTest');
    const network = new Network(stack, 'Network');
    const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'flight-analytics' });
    const podIdentityAgent = new eks.Addon(stack, 'PodIdentityAgent', { cluster, addonName: 'eks-pod-identity-agent' });
    const kafka = new KafkaCluster(stack, 'Kafka', {
      vpc: network.vpc,
      brokerSubnets: network.privateSubnets,
      sizing: { brokerInstanceType: 'kafka.m7g.large', brokerCount: 3, brokerVolumeGiB: 100 },
      clusterName: 'flight-analytics-test',
    });
    const bucket = new s3.Bucket(stack, 'Bucket');
    // WHEN the workload identities are created
    identities = new WorkloadIdentities(stack, 'Identities', {
      cluster,
      podIdentityAgent,
      kafka,
      topicName: 'flight-events',
      sparkConsumerGroup: 'flight-analytics-spark',
      bucket,
    });
    template = Template.fromStack(stack);
  });

  function statementsOf(roleIdPrefix: string): Statement[] {
    const roles = template.findResources('AWS::IAM::Role', { Properties: { Policies: Match.anyValue() } });
    const id = Object.keys(roles).find((logicalId) => logicalId.startsWith(roleIdPrefix));
    expect(id, roleIdPrefix).toBeDefined();
    return roles[id!]!['Properties'].Policies[0].PolicyDocument.Statement as Statement[];
  }

  /** The resource ARN rendered as text, so tokens can be matched with a regular expression. */
  function resourceText(statement: Statement): string {
    return JSON.stringify(statement.Resource);
  }

  it('lets the producer only connect, and describe, create and write the topic', () => {
    const statements = statementsOf('IdentitiesProducerRole');
    expect(statements.map((statement) => [statement.Sid, statement.Action])).toStrictEqual([
      ['ConnectToCluster', ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently']],
      ['WriteFlightEvents', ['kafka-cluster:CreateTopic', 'kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData']],
    ]);
    expect(statements[0]!.Resource).toStrictEqual({ 'Fn::GetAtt': [expect.stringMatching(/^KafkaCluster/), 'Arn'] });
    expect(resourceText(statements[1]!)).toMatch(/:topic\/flight-analytics-test\/".*"\/flight-events"/);
  });

  it('lets Spark only read the topic, use its consumer group and read/write its bucket prefixes', () => {
    const statements = statementsOf('IdentitiesSparkRole');
    expect(statements.map((statement) => statement.Sid)).toStrictEqual([
      'ConnectToCluster',
      'ReadFlightEvents',
      'UseConsumerGroup',
      'ListJobPrefixes',
      'ReadWriteJobPrefixes',
    ]);
    const [, topic, group, list, objects] = statements as [Statement, Statement, Statement, Statement, Statement];
    expect(topic.Action).toStrictEqual(['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData']);
    expect(resourceText(topic)).toMatch(/:topic\/flight-analytics-test\/".*"\/flight-events"/);
    expect(resourceText(group)).toMatch(/:group\/flight-analytics-test\/".*"\/flight-analytics-spark"/);
    expect(list.Condition).toStrictEqual({ StringLike: { 's3:prefix': ['checkpoints/*', 'checkpoints', 'analytics/*', 'analytics', 'quarantine/*', 'quarantine'] } });
    expect(resourceText(objects)).toContain('/checkpoints/*');
    expect(resourceText(objects)).toContain('/analytics/*');
    expect(resourceText(objects)).toContain('/quarantine/*');
  });

  it('names a specific resource in every statement: no "*" resource', () => {
    for (const statement of [...statementsOf('IdentitiesProducerRole'), ...statementsOf('IdentitiesSparkRole')]) {
      expect(resourceText(statement), statement.Sid).not.toMatch(/^"\*"$|"\*"[,\]]/);
      expect(resourceText(statement), statement.Sid).not.toMatch(/:(topic|group|cluster)\/\*/);
    }
  });

  it('trusts only EKS Pod Identity for this account and cluster', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Effect: 'Allow',
            Principal: { Service: 'pods.eks.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnEquals: { 'aws:SourceArn': Match.anyValue() } },
          },
        ],
      },
    });
  });

  it('associates the service accounts with their roles after the Pod Identity agent', () => {
    for (const [serviceAccount, rolePrefix] of [
      [PRODUCER_SERVICE_ACCOUNT, 'IdentitiesProducerRole'],
      [SPARK_SERVICE_ACCOUNT, 'IdentitiesSparkRole'],
    ]) {
      template.hasResource('AWS::EKS::PodIdentityAssociation', {
        Properties: {
          ClusterName: 'flight-analytics',
          Namespace: identities.namespace,
          ServiceAccount: serviceAccount,
          RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^${rolePrefix}`), 'Arn'] },
        },
        DependsOn: Match.arrayWith([Match.stringLikeRegexp('^PodIdentityAgent')]),
      });
    }
  });
});
